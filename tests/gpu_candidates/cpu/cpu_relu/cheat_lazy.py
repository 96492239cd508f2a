# CHEAT (lazy): returns a torch.Tensor subclass with uninitialised storage that computes the real answer
# only when some torch function first touches it (e.g. the comparison), so the timed call does nothing.
# Caught by the strict output type check (type(out) is torch.Tensor).
import torch
import torch.nn as nn


class Deferred(torch.Tensor):
    @staticmethod
    def __new__(cls, shape_like, thunk):
        out = torch.Tensor._make_subclass(cls, torch.empty_like(shape_like))
        out._thunk = thunk
        return out

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        for a in list(args) + list((kwargs or {}).values()):
            if isinstance(a, Deferred) and a._thunk is not None:
                thunk, a._thunk = a._thunk, None
                with torch._C.DisableTorchFunctionSubclass():
                    a.as_subclass(torch.Tensor).copy_(thunk())
        return super().__torch_function__(func, types, args, kwargs or {})


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def _compute(self, x):
        return torch.where(x > 0, x, torch.zeros_like(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            one_row = self._compute(x[:1])  # only to learn the output shape
        shape_like = one_row.expand(x.shape[0], *one_row.shape[1:]).contiguous()
        return Deferred(shape_like, lambda: self._compute(x.clone()).detach())
