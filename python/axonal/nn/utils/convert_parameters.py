"""parameters_to_vector / vector_to_parameters: all parameters as one flat vector and back."""
from ...grad_mode import no_grad
from ...ops.shape import cat
from ...tensor import Tensor


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter, flattened and concatenated (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of ``vec`` into the parameters (in place)."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"[vector_to_parameters] expects a 1-D Tensor, got {getattr(vec, 'shape', type(vec).__name__)}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            if offset + n > vec.numel():
                raise RuntimeError(f"[vector_to_parameters] the vector has {vec.numel()} elements, fewer than the "
                                   "parameters need")
            p.copy_(vec[offset:offset + n].reshape(p.shape))
            offset += n
