"""
axonal's CUDA kernels compiled for the CPU under the emulation header (host pointers)
"""
from __future__ import annotations
import typing
__all__: list[str] = ['adam_update', 'add_relu_forward', 'avg_pool2d_backward', 'avg_pool2d_forward', 'backend_name', 'batchnorm_backward', 'batchnorm_forward_eval', 'batchnorm_forward_train', 'bias_relu_forward', 'context_switch', 'conv2d_backward_input', 'conv2d_backward_weight', 'conv2d_forward', 'counters', 'erf', 'erfc', 'erfinv', 'fill', 'gemm', 'get_schedule', 'max_pool2d_backward', 'max_pool2d_forward', 'relu_backward', 'relu_forward', 'selftest_atomics', 'selftest_block_sum', 'selftest_divergent_shuffle', 'selftest_indices', 'selftest_shared_exchange', 'selftest_shuffles', 'selftest_votes', 'set_schedule', 'sgd_update', 'softmax_cross_entropy', 'softmax_cross_entropy_check_targets']
@typing.overload
def adam_update(dtype: str, p: typing.SupportsInt | typing.SupportsIndex, g: typing.SupportsInt | typing.SupportsIndex, exp_avg: typing.SupportsInt | typing.SupportsIndex, exp_avg_sq: typing.SupportsInt | typing.SupportsIndex, max_exp_avg_sq: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, beta1: typing.SupportsFloat | typing.SupportsIndex, beta2: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, decoupled: bool, maximize: bool, step_size: typing.SupportsFloat | typing.SupportsIndex, bias_correction2_sqrt: typing.SupportsFloat | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    In-place Adam / AdamW step (torch.optim's rules).
    """
@typing.overload
def adam_update(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def add_relu_forward(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, a: typing.SupportsInt | typing.SupportsIndex, b: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out = max(a + b, 0); its backward is relu_backward on out.
    """
@typing.overload
def add_relu_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def avg_pool2d_backward(dtype: str, dinp: typing.SupportsInt | typing.SupportsIndex, dout: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, H: typing.SupportsInt | typing.SupportsIndex, W: typing.SupportsInt | typing.SupportsIndex, kh: typing.SupportsInt | typing.SupportsIndex, kw: typing.SupportsInt | typing.SupportsIndex, stride_h: typing.SupportsInt | typing.SupportsIndex, stride_w: typing.SupportsInt | typing.SupportsIndex, pad_h: typing.SupportsInt | typing.SupportsIndex, pad_w: typing.SupportsInt | typing.SupportsIndex, count_include_pad: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    dinp += the average pooling gradient; accumulates.
    """
@typing.overload
def avg_pool2d_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def avg_pool2d_forward(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, H: typing.SupportsInt | typing.SupportsIndex, W: typing.SupportsInt | typing.SupportsIndex, kh: typing.SupportsInt | typing.SupportsIndex, kw: typing.SupportsInt | typing.SupportsIndex, stride_h: typing.SupportsInt | typing.SupportsIndex, stride_w: typing.SupportsInt | typing.SupportsIndex, pad_h: typing.SupportsInt | typing.SupportsIndex, pad_w: typing.SupportsInt | typing.SupportsIndex, count_include_pad: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out = average pooling of inp; overwrites.
    """
@typing.overload
def avg_pool2d_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def batchnorm_backward(dtype: str, dx: typing.SupportsInt | typing.SupportsIndex, dgamma: typing.SupportsInt | typing.SupportsIndex, dbeta: typing.SupportsInt | typing.SupportsIndex, dout: typing.SupportsInt | typing.SupportsIndex, x: typing.SupportsInt | typing.SupportsIndex, out: typing.SupportsInt | typing.SupportsIndex, save_mean: typing.SupportsInt | typing.SupportsIndex, save_invstd: typing.SupportsInt | typing.SupportsIndex, gamma: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, HW: typing.SupportsInt | typing.SupportsIndex, relu: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    dx, dgamma, dbeta += the training-mode gradients (any may be 0: not wanted).
    """
@typing.overload
def batchnorm_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def batchnorm_forward_eval(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, x: typing.SupportsInt | typing.SupportsIndex, gamma: typing.SupportsInt | typing.SupportsIndex, beta: typing.SupportsInt | typing.SupportsIndex, running_mean: typing.SupportsInt | typing.SupportsIndex, running_var: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, HW: typing.SupportsInt | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, relu: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out = (x - running_mean) / sqrt(running_var + eps) * gamma + beta [ReLU].
    """
@typing.overload
def batchnorm_forward_eval(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def batchnorm_forward_train(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, save_mean: typing.SupportsInt | typing.SupportsIndex, save_invstd: typing.SupportsInt | typing.SupportsIndex, x: typing.SupportsInt | typing.SupportsIndex, gamma: typing.SupportsInt | typing.SupportsIndex, beta: typing.SupportsInt | typing.SupportsIndex, running_mean: typing.SupportsInt | typing.SupportsIndex, running_var: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, HW: typing.SupportsInt | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, momentum: typing.SupportsFloat | typing.SupportsIndex, relu: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Batch statistics, running-stat update (torch's unbiased var) and the normalised output [ReLU].
    """
@typing.overload
def batchnorm_forward_train(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def bias_relu_forward(dtype: str, y: typing.SupportsInt | typing.SupportsIndex, bias: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, relu: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    y[m, n] += bias[n], then max(0, .) when relu; in place.
    """
@typing.overload
def bias_relu_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def conv2d_backward_input(dtype: str, dinp: typing.SupportsInt | typing.SupportsIndex, dout: typing.SupportsInt | typing.SupportsIndex, weight: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, H: typing.SupportsInt | typing.SupportsIndex, W: typing.SupportsInt | typing.SupportsIndex, K: typing.SupportsInt | typing.SupportsIndex, R: typing.SupportsInt | typing.SupportsIndex, S: typing.SupportsInt | typing.SupportsIndex, stride_h: typing.SupportsInt | typing.SupportsIndex, stride_w: typing.SupportsInt | typing.SupportsIndex, pad_h: typing.SupportsInt | typing.SupportsIndex, pad_w: typing.SupportsInt | typing.SupportsIndex, dil_h: typing.SupportsInt | typing.SupportsIndex, dil_w: typing.SupportsInt | typing.SupportsIndex, groups: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    dinp (N, C, H, W) += the input gradient; accumulates.
    """
@typing.overload
def conv2d_backward_input(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def conv2d_backward_weight(dtype: str, dweight: typing.SupportsInt | typing.SupportsIndex, dbias: typing.SupportsInt | typing.SupportsIndex, dout: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, H: typing.SupportsInt | typing.SupportsIndex, W: typing.SupportsInt | typing.SupportsIndex, K: typing.SupportsInt | typing.SupportsIndex, R: typing.SupportsInt | typing.SupportsIndex, S: typing.SupportsInt | typing.SupportsIndex, stride_h: typing.SupportsInt | typing.SupportsIndex, stride_w: typing.SupportsInt | typing.SupportsIndex, pad_h: typing.SupportsInt | typing.SupportsIndex, pad_w: typing.SupportsInt | typing.SupportsIndex, dil_h: typing.SupportsInt | typing.SupportsIndex, dil_w: typing.SupportsInt | typing.SupportsIndex, groups: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    dweight (K, C/groups, R, S) += the weight gradient, dbias (K) += sum of dout (dbias 0: none).
    """
@typing.overload
def conv2d_backward_weight(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def conv2d_forward(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, weight: typing.SupportsInt | typing.SupportsIndex, bias: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, H: typing.SupportsInt | typing.SupportsIndex, W: typing.SupportsInt | typing.SupportsIndex, K: typing.SupportsInt | typing.SupportsIndex, R: typing.SupportsInt | typing.SupportsIndex, S: typing.SupportsInt | typing.SupportsIndex, stride_h: typing.SupportsInt | typing.SupportsIndex, stride_w: typing.SupportsInt | typing.SupportsIndex, pad_h: typing.SupportsInt | typing.SupportsIndex, pad_w: typing.SupportsInt | typing.SupportsIndex, dil_h: typing.SupportsInt | typing.SupportsIndex, dil_w: typing.SupportsInt | typing.SupportsIndex, groups: typing.SupportsInt | typing.SupportsIndex, relu: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out (N, K, P, Q) = conv2d(inp, weight) + bias [then ReLU]; overwrites out.
    """
@typing.overload
def conv2d_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def counters() -> dict:
    """
    Emulated launches, blocks, threads and fiber switches since the module was loaded.
    """
@typing.overload
def counters(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def erf(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out = erf(inp).
    """
@typing.overload
def erf(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def erfc(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out = erfc(inp).
    """
@typing.overload
def erfc(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def erfinv(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out = erfinv(inp).
    """
@typing.overload
def erfinv(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def fill(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, value: typing.SupportsFloat | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out[0:n] = value.
    """
@typing.overload
def fill(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def gemm(dtype: str, transa: bool, transb: bool, batch: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, K: typing.SupportsInt | typing.SupportsIndex, alpha: typing.SupportsFloat | typing.SupportsIndex, A: typing.SupportsInt | typing.SupportsIndex, lda: typing.SupportsInt | typing.SupportsIndex, strideA: typing.SupportsInt | typing.SupportsIndex, B: typing.SupportsInt | typing.SupportsIndex, ldb: typing.SupportsInt | typing.SupportsIndex, strideB: typing.SupportsInt | typing.SupportsIndex, beta: typing.SupportsFloat | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, ldc: typing.SupportsInt | typing.SupportsIndex, strideC: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    C = alpha * op(A) @ op(B) + beta * C (row-major, strided batch); pointers as ints.
    """
@typing.overload
def gemm(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def get_schedule() -> str:
    """
    The current schedule's name.
    """
@typing.overload
def get_schedule(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def max_pool2d_backward(dtype: str, dinp: typing.SupportsInt | typing.SupportsIndex, dout: typing.SupportsInt | typing.SupportsIndex, argmax: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, H: typing.SupportsInt | typing.SupportsIndex, W: typing.SupportsInt | typing.SupportsIndex, P: typing.SupportsInt | typing.SupportsIndex, Q: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    dinp[argmax] += dout; accumulates.
    """
@typing.overload
def max_pool2d_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def max_pool2d_forward(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, argmax: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, N: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, H: typing.SupportsInt | typing.SupportsIndex, W: typing.SupportsInt | typing.SupportsIndex, kh: typing.SupportsInt | typing.SupportsIndex, kw: typing.SupportsInt | typing.SupportsIndex, stride_h: typing.SupportsInt | typing.SupportsIndex, stride_w: typing.SupportsInt | typing.SupportsIndex, pad_h: typing.SupportsInt | typing.SupportsIndex, pad_w: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out, argmax (int32 h*W+w) = max pooling of inp; overwrites.
    """
@typing.overload
def max_pool2d_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def relu_backward(dtype: str, dinp: typing.SupportsInt | typing.SupportsIndex, dout: typing.SupportsInt | typing.SupportsIndex, out: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, accumulate: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    dinp (+)= dout * (out > 0).
    """
@typing.overload
def relu_backward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def relu_forward(dtype: str, out: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    out = max(inp, 0) (NaN passes); out may be inp.
    """
@typing.overload
def relu_forward(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def selftest_atomics(ints: typing.SupportsInt | typing.SupportsIndex, ulls: typing.SupportsInt | typing.SupportsIndex, floats: typing.SupportsInt | typing.SupportsIndex, doubles: typing.SupportsInt | typing.SupportsIndex, blocks: typing.SupportsInt | typing.SupportsIndex, threads: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def selftest_atomics(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def selftest_block_sum(out: typing.SupportsInt | typing.SupportsIndex, inp: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, threads: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def selftest_block_sum(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def selftest_divergent_shuffle(out: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def selftest_divergent_shuffle(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def selftest_indices(out: typing.SupportsInt | typing.SupportsIndex, gx: typing.SupportsInt | typing.SupportsIndex, gy: typing.SupportsInt | typing.SupportsIndex, gz: typing.SupportsInt | typing.SupportsIndex, bx: typing.SupportsInt | typing.SupportsIndex, by: typing.SupportsInt | typing.SupportsIndex, bz: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def selftest_indices(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def selftest_shared_exchange(out: typing.SupportsInt | typing.SupportsIndex, threads: typing.SupportsInt | typing.SupportsIndex, blocks: typing.SupportsInt | typing.SupportsIndex, mode: typing.SupportsInt | typing.SupportsIndex, with_barrier: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def selftest_shared_exchange(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def selftest_shuffles(out_int: typing.SupportsInt | typing.SupportsIndex, out_float: typing.SupportsInt | typing.SupportsIndex, out_double: typing.SupportsInt | typing.SupportsIndex, warps: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def selftest_shuffles(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def selftest_votes(out: typing.SupportsInt | typing.SupportsIndex, warps: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def selftest_votes(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def set_schedule(order: str, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
    """
    Order of the emulated threads in each pass and of the blocks: 'forward', 'reverse' or 'shuffle' (a new permutation each pass, from seed).
    """
@typing.overload
def set_schedule(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def sgd_update(dtype: str, p: typing.SupportsInt | typing.SupportsIndex, g: typing.SupportsInt | typing.SupportsIndex, buf: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, momentum: typing.SupportsFloat | typing.SupportsIndex, dampening: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, nesterov: bool, maximize: bool, init_buf: bool, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    In-place SGD step (torch.optim.SGD's rule).
    """
@typing.overload
def sgd_update(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def softmax_cross_entropy(dtype: str, loss: typing.SupportsInt | typing.SupportsIndex, dlogits: typing.SupportsInt | typing.SupportsIndex, logits: typing.SupportsInt | typing.SupportsIndex, target: typing.SupportsInt | typing.SupportsIndex, weight: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, ignore_index: typing.SupportsInt | typing.SupportsIndex, smoothing: typing.SupportsFloat | typing.SupportsIndex, sums: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Per-row loss, dlogits (0: none), and sums[0:2] = (loss sum, weight sum) on the device.
    """
@typing.overload
def softmax_cross_entropy(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
@typing.overload
def softmax_cross_entropy_check_targets(target: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, C: typing.SupportsInt | typing.SupportsIndex, ignore_index: typing.SupportsInt | typing.SupportsIndex, result: typing.SupportsInt | typing.SupportsIndex, stream: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    result[0] = the first row whose target is out of range and not ignore_index, or -1 (on the device).
    """
@typing.overload
def softmax_cross_entropy_check_targets(*args, **kwargs) -> typing.Any:
    """
    Any other arguments raise a TypeError that names the op.
    """
backend_name: str = 'emulated'
context_switch: str = 'x86-64 asm'
