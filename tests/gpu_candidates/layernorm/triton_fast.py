# Honest, fast: LayerNorm over a 4M-value group as a split reduction in three Triton kernels:
# (1) per-chunk mean and M2 (sum of squared deviations) from 4096-value chunks, many programs per sample;
# (2) per-sample combine of the chunks with Chan's parallel formula -> mean, rstd (biased variance, as
#     torch); (3) normalise: each program loads its slice of weight and bias once and applies it to every
#     sample. Eager gives each whole group to one thread block (16 blocks on 132 SMs).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def ln_partial_kernel(x_ptr, pmean_ptr, pm2_ptr, G, n_chunks, BLOCK: tl.constexpr):
    c = tl.program_id(axis=0)
    b = tl.program_id(axis=1).to(tl.int64)
    offs = c.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < G
    x = tl.load(x_ptr + b * G + offs, mask=mask, other=0.0)
    cnt = tl.sum(tl.where(mask, 1.0, 0.0), axis=0)
    mean = tl.sum(x, axis=0) / cnt
    d = tl.where(mask, x - mean, 0.0)
    tl.store(pmean_ptr + b * n_chunks + c, mean)
    tl.store(pm2_ptr + b * n_chunks + c, tl.sum(d * d, axis=0))


@triton.jit
def ln_stats_kernel(pmean_ptr, pm2_ptr, mean_ptr, rstd_ptr, G, n_chunks, eps,
                    CHUNK: tl.constexpr, BLOCK_P: tl.constexpr):
    b = tl.program_id(axis=0).to(tl.int64)
    acc = tl.zeros((BLOCK_P,), dtype=tl.float32)
    for p0 in range(0, n_chunks, BLOCK_P):
        idx = p0 + tl.arange(0, BLOCK_P)
        valid = idx < n_chunks
        pm = tl.load(pmean_ptr + b * n_chunks + idx, mask=valid, other=0.0)
        cnt = tl.minimum(G - idx.to(tl.int64) * CHUNK, CHUNK).to(tl.float32)
        acc += tl.where(valid, pm * cnt, 0.0)
    mean = tl.sum(acc, axis=0) / G
    acc2 = tl.zeros((BLOCK_P,), dtype=tl.float32)
    for p0 in range(0, n_chunks, BLOCK_P):
        idx = p0 + tl.arange(0, BLOCK_P)
        valid = idx < n_chunks
        pm = tl.load(pmean_ptr + b * n_chunks + idx, mask=valid, other=0.0)
        pm2 = tl.load(pm2_ptr + b * n_chunks + idx, mask=valid, other=0.0)
        cnt = tl.minimum(G - idx.to(tl.int64) * CHUNK, CHUNK).to(tl.float32)
        dm = pm - mean
        acc2 += tl.where(valid, pm2 + cnt * dm * dm, 0.0)
    var = tl.sum(acc2, axis=0) / G
    tl.store(mean_ptr + b, mean)
    tl.store(rstd_ptr + b, 1.0 / tl.sqrt(var + eps))


@triton.jit
def ln_apply_kernel(x_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, y_ptr, G, n_batch, BLOCK: tl.constexpr):
    pid = tl.program_id(axis=0)
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < G
    w = tl.load(w_ptr + offs, mask=mask, other=0.0)
    bias = tl.load(b_ptr + offs, mask=mask, other=0.0)
    for i in range(0, n_batch):
        mean = tl.load(mean_ptr + i)
        rstd = tl.load(rstd_ptr + i)
        base = i.to(tl.int64) * G
        x = tl.load(x_ptr + base + offs, mask=mask, other=0.0)
        tl.store(y_ptr + base + offs, (x - mean) * rstd * w + bias, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, normalized_shape: tuple):
        super(ModelNew, self).__init__()
        self.ln = nn.LayerNorm(normalized_shape=normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.dtype == torch.float32, "float32 only"
        assert self.ln.weight is not None and self.ln.bias is not None, "affine LayerNorm only"
        group = 1
        for s in self.ln.normalized_shape:
            group *= s
        batch = x.numel() // group
        assert batch <= 65535, "batch goes on grid axis 1"
        x2 = x.contiguous().view(batch, group)
        y = torch.empty_like(x2)
        chunk = 4096
        n_chunks = triton.cdiv(group, chunk)
        pmean = torch.empty(batch, n_chunks, dtype=torch.float32, device=x.device)
        pm2 = torch.empty_like(pmean)
        mean = torch.empty(batch, dtype=torch.float32, device=x.device)
        rstd = torch.empty_like(mean)
        ln_partial_kernel[(n_chunks, batch)](x2, pmean, pm2, group, n_chunks, BLOCK=chunk, num_warps=8)
        ln_stats_kernel[(batch,)](pmean, pm2, mean, rstd, group, n_chunks, self.ln.eps, CHUNK=chunk,
                                  BLOCK_P=1024, num_warps=4)
        ln_apply_kernel[(triton.cdiv(group, 4096),)](x2, self.ln.weight, self.ln.bias, mean, rstd, y, group,
                                                     batch, BLOCK=4096, num_warps=8)
        return y.view(x.shape)
