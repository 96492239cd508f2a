# CHEAT (exec_eval): reaches the reference op through eval() of a name assembled at run time, so its text
# never appears in the source. Caught statically (eval is banned).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return eval("torch." + "re" + "lu")(x)
