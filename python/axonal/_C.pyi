"""
axonal C++ kernels (GEMM, conv2d, pooling, batch norm, fused activations and loss, optimizer updates); called from axonal.ops, not by users directly
"""
from __future__ import annotations
import numpy
import typing
__all__: list[str] = ['AlignedBuffer', 'adam_update', 'adaptive_avg_pool2d_backward', 'adaptive_avg_pool2d_forward', 'add_relu_backward', 'add_relu_forward', 'avg_pool2d_backward', 'avg_pool2d_forward', 'avx2_enabled', 'batch_norm_backward', 'batch_norm_forward', 'bias_relu_forward', 'conv2d_backward_input', 'conv2d_backward_weight', 'conv2d_forward', 'cpu_has_avx2_fma', 'cpu_has_avx512', 'cpu_info', 'embedding_backward', 'erf', 'erfc', 'erfinv', 'gemm', 'gemm_kernel', 'get_num_threads', 'has_openmp', 'isa_level', 'malloc_tuned', 'matmul', 'max_pool2d_backward', 'max_pool2d_forward', 'relu_backward', 'relu_forward', 'rnn_backward', 'rnn_forward', 'set_num_threads', 'sgd_update', 'softmax_cross_entropy']
class AlignedBuffer:
    """
    Owner of the 64-byte-aligned memory of arrays the kernels return (their .base).
    """
@typing.overload
def adam_update(param: typing.Any, grad: typing.Any, exp_avg: typing.Any, exp_avg_sq: typing.Any, max_exp_avg_sq: typing.Any, lr: typing.SupportsFloat | typing.SupportsIndex, beta1: typing.SupportsFloat | typing.SupportsIndex, beta2: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, decoupled: bool, maximize: bool, step_size: typing.SupportsFloat | typing.SupportsIndex, bias_correction2_sqrt: typing.SupportsFloat | typing.SupportsIndex, reference: bool = False) -> None:
    """
    One Adam (decoupled=False) or AdamW (decoupled=True) step in place on param and the state arrays; max_exp_avg_sq is given for amsgrad, else None. step_size = lr / (1 - beta1**t), bias_correction2_sqrt = sqrt(1 - beta2**t). reference=True runs the naive kernel.
    """
@typing.overload
def adam_update(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def adaptive_avg_pool2d_backward(grad_out: typing.Any, input_shape: typing.Any, reference: bool = False, grad_input: typing.Any = None) -> numpy.ndarray:
    """
    Gradient of adaptive_avg_pool2d w.r.t. its input, shape input_shape (N, C, H, W); the output size is grad_out's. With grad_input given, accumulates into it and returns it.
    """
@typing.overload
def adaptive_avg_pool2d_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def adaptive_avg_pool2d_forward(x: typing.Any, output_size: typing.Any, reference: bool = False) -> numpy.ndarray:
    """
    Adaptive average pooling of an NCHW float array to output_size (oh, ow) (or an int for both), with torch's bins: rows floor(i*H/oh) to ceil((i+1)*H/oh). output_size 1: global average pooling.
    """
@typing.overload
def adaptive_avg_pool2d_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def add_relu_backward(grad_out: typing.Any, out: typing.Any, need_a: bool = True, need_b: bool = True, grad_a: typing.Any = None, grad_b: typing.Any = None, reference: bool = False) -> tuple:
    """
    Gradients of add_relu for both inputs: grad_out * (out > 0), written once per wanted input. Returns (grad_a or None, grad_b or None); accumulates into grad_a / grad_b when given, else new arrays.
    """
@typing.overload
def add_relu_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def add_relu_forward(a: typing.Any, b: typing.Any, out: typing.Any = None, reference: bool = False) -> numpy.ndarray:
    """
    max(a + b, 0) elementwise in one pass (a ResNet block's residual join) for C-contiguous float arrays of one shape; into `out` when given (may be a or b itself), else a new array. Returns the result.
    """
@typing.overload
def add_relu_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def avg_pool2d_backward(grad_out: typing.Any, input_shape: typing.Any, kernel_size: typing.Any, stride: typing.Any, padding: typing.Any, count_include_pad: bool = True, reference: bool = False, grad_input: typing.Any = None) -> numpy.ndarray:
    """
    Gradient of average pooling w.r.t. its input, shape input_shape. With grad_input given, accumulates into it and returns it.
    """
@typing.overload
def avg_pool2d_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def avg_pool2d_forward(x: typing.Any, kernel_size: typing.Any, stride: typing.Any, padding: typing.Any, count_include_pad: bool = True, reference: bool = False) -> numpy.ndarray:
    """
    Average pooling of an NCHW float array (torch semantics, ceil_mode=False).
    """
@typing.overload
def avg_pool2d_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def avx2_enabled() -> bool:
    """
    Whether the AVX2/FMA kernels are in use: the CPU has them and AXONAL_DISABLE_AVX2 was not set at import.
    """
@typing.overload
def avx2_enabled(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def batch_norm_backward(grad_out: typing.Any, x: typing.Any, mean: typing.Any, invstd: typing.Any, weight: typing.Any, training: bool, out: typing.Any = None, need_input_grad: bool = True, need_weight_grad: bool = True, grad_input: typing.Any = None, grad_weight: typing.Any = None, grad_bias: typing.Any = None, reference: bool = False) -> tuple:
    """
    Gradients of batch_norm_forward: returns (grad_input or None, grad_weight or None, grad_bias or None). mean / invstd: what the forward returned; training: whether it used batch statistics; out: its output when it was called with relu=True (grad_out is then masked by out > 0), else None. Accumulates into grad_input / grad_weight / grad_bias when given (else into fresh zeros); grad_weight and grad_bias (C,) are computed (also without affine parameters) when need_weight_grad.
    """
@typing.overload
def batch_norm_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def batch_norm_forward(x: typing.Any, weight: typing.Any, bias: typing.Any, running_mean: typing.Any, running_var: typing.Any, training: bool, momentum: typing.SupportsFloat | typing.SupportsIndex = 0.1, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-05, relu: bool = False, reference: bool = False) -> tuple:
    """
    Batch norm of x (N, C, *spatial) per channel; weight / bias (C,) or None. training=True: batch statistics (biased variance), and running_mean / running_var (C,) updated in place with momentum and the unbiased variance when given (both or neither); training=False: the running statistics, folded into one scale and shift. relu=True applies max(0, .) to the result. Returns (out, mean, invstd): the statistics used (batch, or running mean and 1/sqrt(running_var + eps)) for batch_norm_backward.
    """
@typing.overload
def batch_norm_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def bias_relu_forward(y: typing.Any, bias: typing.Any, reference: bool = False) -> numpy.ndarray:
    """
    y = max(y + bias, 0) in place, bias broadcast along the last dim of y. Returns y.
    """
@typing.overload
def bias_relu_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def conv2d_backward_input(grad_out: typing.Any, w: typing.Any, input_shape: typing.Any, stride: typing.Any, padding: typing.Any, dilation: typing.Any, reference: bool = False, grad_input: typing.Any = None, groups: typing.SupportsInt | typing.SupportsIndex = 1) -> numpy.ndarray:
    """
    Gradient of conv2d with respect to its input, shape input_shape (N, C, H, W), given grad_out (N, K, P, Q) and the weight (K, C / groups, R, S). Accumulates into grad_input when given (else into fresh zeros) and returns it.
    """
@typing.overload
def conv2d_backward_input(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def conv2d_backward_weight(grad_out: typing.Any, x: typing.Any, weight_shape: typing.Any, with_bias: bool, stride: typing.Any, padding: typing.Any, dilation: typing.Any, reference: bool = False, grad_weight: typing.Any = None, grad_bias: typing.Any = None, groups: typing.SupportsInt | typing.SupportsIndex = 1) -> tuple:
    """
    Gradients of conv2d with respect to weight (shape weight_shape (K, C / groups, R, S)) and bias (K,), given grad_out (N, K, P, Q) and the forward input x; returns (grad_weight, grad_bias or None). Accumulates into grad_weight / grad_bias when given (else into fresh zeros).
    """
@typing.overload
def conv2d_backward_weight(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def conv2d_forward(x: typing.Any, w: typing.Any, b: typing.Any, stride: typing.Any, padding: typing.Any, dilation: typing.Any, reference: bool = False, relu: bool = False, groups: typing.SupportsInt | typing.SupportsIndex = 1) -> numpy.ndarray:
    """
    2-D convolution of x (N, C, H, W) with w (K, C / groups, R, S) plus optional bias b (K,) or None; returns a new (N, K, P, Q) array. stride, padding, dilation: (height, width). reference=True runs the naive kernel; relu=True applies max(0, .) as the output is written (conv + bias + ReLU in one pass); groups as in torch (groups == C: depthwise).
    """
@typing.overload
def conv2d_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def cpu_has_avx2_fma() -> bool:
    """
    Whether this CPU (and build) can run the AVX2/FMA kernels.
    """
@typing.overload
def cpu_has_avx2_fma(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def cpu_has_avx512() -> bool:
    """
    Whether this CPU (and build) can run the AVX-512 (F/BW/DQ/VL) kernels.
    """
@typing.overload
def cpu_has_avx512(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def cpu_info() -> dict:
    """
    A dict: 'isa' (the level in use), 'cpu_isa' (the widest the CPU and build have), 'isa_levels' (every level this process could be forced to with AXONAL_ISA), 'isa_forced' (AXONAL_ISA / AXONAL_DISABLE_AVX2 lowered it), 'threads', 'openmp', 'gemm_kernel', 'gemm_tile' {'float32': (MR, NR), 'float64': (MR, NR)}.
    """
@typing.overload
def cpu_info(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def embedding_backward(grad_out: typing.Any, indices: typing.Any, num_embeddings: typing.SupportsInt | typing.SupportsIndex, padding_idx: typing.SupportsInt | typing.SupportsIndex = -1, reference: bool = False) -> numpy.ndarray:
    """
    Gradient of an embedding lookup: (num_embeddings, D) zeros with grad_out's rows (n, D) added at the int64 indices (n,), skipping padding_idx (-1: none).
    """
@typing.overload
def embedding_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def erf(x: typing.Any) -> numpy.ndarray:
    """
    erf of every element, as a new array.
    """
@typing.overload
def erf(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def erfc(x: typing.Any) -> numpy.ndarray:
    """
    erfc of every element, as a new array.
    """
@typing.overload
def erfc(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def erfinv(x: typing.Any, reference: bool = False) -> numpy.ndarray:
    """
    erfinv of every element, as a new array.
    """
@typing.overload
def erfinv(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def gemm(a: numpy.ndarray, b: numpy.ndarray, c: numpy.ndarray, trans_a: bool = False, trans_b: bool = False, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0, beta: typing.SupportsFloat | typing.SupportsIndex = 0.0, reference: bool = False) -> None:
    """
    c <- alpha * op(a) @ op(b) + beta * c in place; reference=True runs the naive kernel.
    """
@typing.overload
def gemm(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def gemm_kernel() -> str:
    """
    Which GEMM kernels this process uses: 'avx512', 'avx2' or 'generic'.
    """
@typing.overload
def gemm_kernel(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def get_num_threads() -> int:
    """
    Number of threads the kernels use.
    """
@typing.overload
def get_num_threads(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def has_openmp() -> bool:
    ...
@typing.overload
def has_openmp(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def isa_level() -> str:
    """
    The instruction-set level the kernels run at: 'avx512', 'avx2' or 'generic' (AXONAL_ISA forces a lower one).
    """
@typing.overload
def isa_level(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def matmul(a: numpy.ndarray, b: numpy.ndarray) -> numpy.ndarray:
    """
    a @ b for 2-D or equally batched 3-D arrays.
    """
@typing.overload
def matmul(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def max_pool2d_backward(grad_out: typing.Any, argmax: typing.Any, input_shape: typing.Any, reference: bool = False, grad_input: typing.Any = None) -> numpy.ndarray:
    """
    Gradient of max pooling w.r.t. its input, shape input_shape (N, C, H, W), from grad_out and the argmax returned by max_pool2d_forward. With grad_input given, accumulates into it and returns it.
    """
@typing.overload
def max_pool2d_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def max_pool2d_forward(x: typing.Any, kernel_size: typing.Any, stride: typing.Any, padding: typing.Any, reference: bool = False) -> tuple:
    """
    Max pooling of an NCHW float array -> (out, argmax int32 flat h*W+w per plane). kernel_size, stride, padding: (h, w) ints; padding <= kernel_size // 2. reference=True runs the naive kernel.
    """
@typing.overload
def max_pool2d_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def relu_backward(grad_out: typing.Any, out: typing.Any, grad_input: typing.Any = None, reference: bool = False) -> numpy.ndarray:
    """
    grad_out * (out > 0) for ReLU's result `out`; accumulates into grad_input when given, else returns a new array.
    """
@typing.overload
def relu_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def relu_forward(x: typing.Any, out: typing.Any = None, reference: bool = False) -> numpy.ndarray:
    """
    max(x, 0) elementwise (NaN passes) for a C-contiguous float array; into `out` when given (may be x itself), else a new array. Returns the result.
    """
@typing.overload
def relu_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def rnn_backward(mode: typing.SupportsInt | typing.SupportsIndex, grad_out: typing.Any, grad_h_n: typing.Any, grad_c_n: typing.Any, gates: typing.Any, saved: typing.Any, w_hh: typing.Any, with_bias: bool, batch_sizes: typing.Any, reverse: bool = False, zero_h0: bool = False, need_state_grads: bool = True, reference: bool = False) -> tuple:
    """
    Backward of rnn_forward given the gradients of out, h_n and c_n (each may be None = zero) and the gates / saved it returned. zero_h0: the forward ran from h0 = None; need_state_grads=False skips d h0 and d c0. Returns (d gates (N, G*H) = the gradient of the input projections, d w_hh, d b_hh or None, d h0 or None, d c0 or None).
    """
@typing.overload
def rnn_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def rnn_forward(mode: typing.SupportsInt | typing.SupportsIndex, gates: typing.Any, h0: typing.Any, c0: typing.Any, w_hh: typing.Any, b_hh: typing.Any, batch_sizes: typing.Any, save: bool = True, reverse: bool = False, b_x: typing.Any = None, reference: bool = False) -> tuple:
    """
    One recurrent layer and direction over a packed sequence (kernels/recurrent.h). mode: 0 rnn tanh, 1 rnn relu, 2 lstm, 3 gru. gates (N, G*H): the input projections without bias, overwritten with the gate activations; b_x (G*H,) or None: the bias added to them (b_ih + b_hh; the GRU: b_ih). h0 (B, H) or None (zeros); c0 (B, H) for the LSTM (None with h0 None), else None; w_hh (G*H, H); b_hh (G*H,) for the GRU (or None), else None; batch_sizes: int64 (steps,). Returns (out (N, H), h_n (B, H), c_n or None, saved or None); save=False skips what backward needs.
    """
@typing.overload
def rnn_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def set_num_threads(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def sgd_update(param: typing.Any, grad: typing.Any, momentum_buffer: typing.Any, lr: typing.SupportsFloat | typing.SupportsIndex, momentum: typing.SupportsFloat | typing.SupportsIndex, dampening: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, nesterov: bool, maximize: bool, init_buffer: bool, reference: bool = False) -> None:
    """
    One SGD step in place on param (and momentum_buffer, required iff momentum != 0; with init_buffer it is overwritten with the first step's direction, torch's first-step rule). reference=True runs the naive kernel.
    """
@typing.overload
def sgd_update(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def softmax_cross_entropy(logits: typing.Any, target: typing.Any, weight: typing.Any = None, ignore_index: typing.SupportsInt | typing.SupportsIndex = -100, label_smoothing: typing.SupportsFloat | typing.SupportsIndex = 0.0, need_grad: bool = True, reference: bool = False) -> tuple:
    """
    Cross-entropy of (M, C) logits against int64 class indices (M,), with optional class weight, ignore_index and label smoothing. Returns (per-row loss (M,), loss sum, sum of the targets' weights, gradient of the loss sum w.r.t. the logits (M, C) or None when need_grad is false).
    """
@typing.overload
def softmax_cross_entropy(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
malloc_tuned: bool = True
