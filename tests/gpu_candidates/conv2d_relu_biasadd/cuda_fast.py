# Honest, fast: cuDNN convolution without its bias, then one CUDA epilogue through load_inline doing
# conv bias + ReLU + extra bias in place (float4 grid-stride when the plane size is a multiple of 4, scalar
# otherwise). One pass over the output instead of eager's three. Checks shapes, dtype and device.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <algorithm>
#include <cstdint>

__global__ void bias_relu_bias_vec4_kernel(float4* __restrict__ t, const float* __restrict__ cb,
                                           const float* __restrict__ b, int64_t n4, int64_t hw4, int C) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (; i < n4; i += stride) {
        const int c = (int)((i / hw4) % C);
        const float add0 = cb[c], add1 = b[c];
        float4 v = t[i];
        v.x = fmaxf(v.x + add0, 0.f) + add1;
        v.y = fmaxf(v.y + add0, 0.f) + add1;
        v.z = fmaxf(v.z + add0, 0.f) + add1;
        v.w = fmaxf(v.w + add0, 0.f) + add1;
        t[i] = v;
    }
}

__global__ void bias_relu_bias_scalar_kernel(float* __restrict__ t, const float* __restrict__ cb,
                                             const float* __restrict__ b, int64_t n, int64_t hw, int C) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (; i < n; i += stride) {
        const int c = (int)((i / hw) % C);
        t[i] = fmaxf(t[i] + cb[c], 0.f) + b[c];
    }
}

torch::Tensor bias_relu_bias_(torch::Tensor t, torch::Tensor conv_bias, torch::Tensor bias) {
    TORCH_CHECK(t.is_cuda() && conv_bias.is_cuda() && bias.is_cuda(), "bias_relu_bias_: CUDA tensors expected");
    TORCH_CHECK(t.scalar_type() == at::kFloat && conv_bias.scalar_type() == at::kFloat &&
                bias.scalar_type() == at::kFloat, "bias_relu_bias_: float32 expected");
    TORCH_CHECK(t.dim() == 4 && t.is_contiguous(), "bias_relu_bias_: contiguous NCHW expected");
    const int C = (int)t.size(1);
    TORCH_CHECK(conv_bias.numel() == C && bias.numel() == C, "bias_relu_bias_: one bias per channel");
    auto cb = conv_bias.contiguous();
    auto b = bias.contiguous();
    const int64_t n = t.numel();
    const int64_t hw = t.size(2) * t.size(3);
    if (n == 0) return t;
    float* tp = t.data_ptr<float>();
    cudaStream_t stream = at::cuda::getCurrentCUDAStream();
    const int threads = 256;
    const int64_t max_blocks = (int64_t)at::cuda::getCurrentDeviceProperties()->multiProcessorCount * 8;
    if (hw % 4 == 0 && reinterpret_cast<uintptr_t>(tp) % 16 == 0) {
        const int64_t n4 = n / 4;
        const int64_t blocks = std::min<int64_t>((n4 + threads - 1) / threads, max_blocks);
        bias_relu_bias_vec4_kernel<<<(unsigned)blocks, threads, 0, stream>>>(
            reinterpret_cast<float4*>(tp), cb.data_ptr<float>(), b.data_ptr<float>(), n4, hw / 4, C);
    } else {
        const int64_t blocks = std::min<int64_t>((n + threads - 1) / threads, max_blocks);
        bias_relu_bias_scalar_kernel<<<(unsigned)blocks, threads, 0, stream>>>(
            tp, cb.data_ptr<float>(), b.data_ptr<float>(), n, hw, C);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return t;
}
"""

cpp_source = "torch::Tensor bias_relu_bias_(torch::Tensor t, torch::Tensor conv_bias, torch::Tensor bias);"

_ext = load_inline(name="mf_conv2d_relu_biasadd_cuda_fast", cpp_sources=cpp_source, cuda_sources=cuda_source,
                   functions=["bias_relu_bias_"], extra_cuda_cflags=["-O3"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, bias_shape):
        super(ModelNew, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.bias = nn.Parameter(torch.randn(bias_shape))

    def forward(self, x):
        t = torch.nn.functional.conv2d(x, self.conv.weight, None, self.conv.stride, self.conv.padding,
                                       self.conv.dilation, self.conv.groups).contiguous()
        return _ext.bias_relu_bias_(t, self.conv.bias, self.bias)
