# Honest but slow: one single-warp Triton program per (image, channel) plane walks the plane row by row,
# 64 outputs at a time, with k*k separate loads per step and no pipelining. Correct, several times slower.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def dwconv_plane_kernel(x_ptr, w_ptr, y_ptr, C, H, W, H_out, W_out,
                        KS: tl.constexpr, STRIDE: tl.constexpr, PAD: tl.constexpr, BLOCK_W: tl.constexpr):
    plane = tl.program_id(axis=0)
    c = plane % C
    x_plane = x_ptr + plane.to(tl.int64) * H * W
    y_plane = y_ptr + plane.to(tl.int64) * H_out * W_out
    for oh in range(0, H_out):
        for w0 in range(0, W_out, BLOCK_W):
            ow = w0 + tl.arange(0, BLOCK_W)
            acc = tl.zeros((BLOCK_W,), dtype=tl.float32)
            for kh in tl.static_range(KS):
                ih = oh * STRIDE + kh - PAD
                for kw in tl.static_range(KS):
                    iw = ow * STRIDE + kw - PAD
                    ok = (iw >= 0) & (iw < W) & (ih >= 0) & (ih < H)
                    acc += tl.load(x_plane + ih * W + iw, mask=ok, other=0.0) * tl.load(w_ptr + c * KS * KS + kh * KS + kw)
            tl.store(y_plane + oh * W_out + ow, acc, mask=ow < W_out)


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = False):
        super(ModelNew, self).__init__()
        self.dw = nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                            groups=in_channels, bias=bias)
        self.ks, self.stride_, self.pad = kernel_size, stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert self.dw.bias is None, "no bias in this variant"
        n, c, h, w = x.shape
        h_out = (h + 2 * self.pad - self.ks) // self.stride_ + 1
        w_out = (w + 2 * self.pad - self.ks) // self.stride_ + 1
        x = x.contiguous()
        y = torch.empty((n, c, h_out, w_out), dtype=x.dtype, device=x.device)
        dwconv_plane_kernel[(n * c,)](x, self.dw.weight.contiguous(), y, c, h, w, h_out, w_out, KS=self.ks,
                                      STRIDE=self.stride_, PAD=self.pad, BLOCK_W=64, num_warps=1, num_stages=1)
        return y
