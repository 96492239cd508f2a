# Honest: a classic register-blocked CUDA SGEMM through load_inline. 128x128 block tile, BK = 8, 256
# threads each computing an 8x8 micro-tile from shared memory (A tile stored transposed), float4 global
# loads, fmaf accumulation in fp32. Requires M, N multiples of 128 and K of 8 (checked). Without TF32,
# cuBLAS is near the FMA ceiling: expected somewhat slower than eager, a correctness and timing case.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>

#define BM 128
#define BN 128
#define BK 8
#define TM 8
#define TN 8

__global__ void __launch_bounds__(256) sgemm_tiled_kernel(int M, int N, int K, const float* __restrict__ A,
                                                          const float* __restrict__ B, float* __restrict__ C) {
    __shared__ float As[BK][BM];
    __shared__ float Bs[BK][BN];
    const int tid = threadIdx.x;
    const int tr = tid / (BN / TN);
    const int tc = tid % (BN / TN);
    const int a_row = tid >> 1, a_col = (tid & 1) << 2;
    const int b_row = tid >> 5, b_col = (tid & 31) << 2;
    const float* Ab = A + (size_t)blockIdx.y * BM * K;
    const float* Bb = B + (size_t)blockIdx.x * BN;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;
    float ra[TM], rb[TN];
    for (int k0 = 0; k0 < K; k0 += BK) {
        const float4 va = *reinterpret_cast<const float4*>(Ab + (size_t)a_row * K + k0 + a_col);
        As[a_col + 0][a_row] = va.x;
        As[a_col + 1][a_row] = va.y;
        As[a_col + 2][a_row] = va.z;
        As[a_col + 3][a_row] = va.w;
        *reinterpret_cast<float4*>(&Bs[b_row][b_col]) =
            *reinterpret_cast<const float4*>(Bb + (size_t)(k0 + b_row) * N + b_col);
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; ++k) {
            const float4 a0 = *reinterpret_cast<const float4*>(&As[k][tr * TM]);
            const float4 a1 = *reinterpret_cast<const float4*>(&As[k][tr * TM + 4]);
            const float4 b0 = *reinterpret_cast<const float4*>(&Bs[k][tc * TN]);
            const float4 b1 = *reinterpret_cast<const float4*>(&Bs[k][tc * TN + 4]);
            ra[0] = a0.x; ra[1] = a0.y; ra[2] = a0.z; ra[3] = a0.w;
            ra[4] = a1.x; ra[5] = a1.y; ra[6] = a1.z; ra[7] = a1.w;
            rb[0] = b0.x; rb[1] = b0.y; rb[2] = b0.z; rb[3] = b0.w;
            rb[4] = b1.x; rb[5] = b1.y; rb[6] = b1.z; rb[7] = b1.w;
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
        }
        __syncthreads();
    }
    float* Cb = C + (size_t)(blockIdx.y * BM + tr * TM) * N + blockIdx.x * BN + tc * TN;
#pragma unroll
    for (int i = 0; i < TM; ++i) {
        *reinterpret_cast<float4*>(Cb + (size_t)i * N) = make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        *reinterpret_cast<float4*>(Cb + (size_t)i * N + 4) = make_float4(acc[i][4], acc[i][5], acc[i][6], acc[i][7]);
    }
}

torch::Tensor sgemm(torch::Tensor A, torch::Tensor B) {
    TORCH_CHECK(A.is_cuda() && B.is_cuda(), "sgemm: CUDA tensors expected");
    TORCH_CHECK(A.scalar_type() == at::kFloat && B.scalar_type() == at::kFloat, "sgemm: float32 expected");
    TORCH_CHECK(A.dim() == 2 && B.dim() == 2 && A.size(1) == B.size(0), "sgemm: A (M, K) times B (K, N)");
    auto a = A.contiguous();
    auto b = B.contiguous();
    const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
    TORCH_CHECK(M % BM == 0 && N % BN == 0 && K % BK == 0, "sgemm: M and N must be multiples of 128, K of 8");
    TORCH_CHECK(M < (1LL << 31) && N < (1LL << 31) && K < (1LL << 31), "sgemm: dimensions too large");
    auto c = torch::empty({M, N}, a.options());
    dim3 grid((unsigned)(N / BN), (unsigned)(M / BM));
    sgemm_tiled_kernel<<<grid, 256, 0, at::cuda::getCurrentCUDAStream()>>>(
        (int)M, (int)N, (int)K, a.data_ptr<float>(), b.data_ptr<float>(), c.data_ptr<float>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return c;
}
"""

cpp_source = "torch::Tensor sgemm(torch::Tensor A, torch::Tensor B);"

_ext = load_inline(name="mf_matmul_cuda_fast", cpp_sources=cpp_source, cuda_sources=cuda_source,
                   functions=["sgemm"], extra_cuda_cflags=["-O3"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return _ext.sgemm(A, B)
