"""nn.utils: helpers around the layers (rnn: variable-length sequences)."""
from . import rnn  # noqa: F401
