"""nn.utils: gradient clipping and parameter/vector conversion (and, from the recurrent layers, nn.utils.rnn)."""
from . import rnn  # noqa: F401 - nn.utils.rnn: PackedSequence, pad_sequence, pack_padded_sequence, ...
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "rnn", "vector_to_parameters"]
