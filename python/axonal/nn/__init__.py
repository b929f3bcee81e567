"""Neural-network building blocks: Module, layers, losses, init and the functional forms."""
from . import functional, init
from .batchnorm import BatchNorm1d, BatchNorm2d
from .layers import Conv2d, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .simple import (
    AdaptiveAvgPool2d, AvgPool2d, Dropout, Flatten, Identity, LeakyReLU, LogSoftmax, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax,
    Step, Tanh,
)

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss",
    "Dropout", "Flatten", "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d",
    "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Step", "Tanh", "functional",
    "init",
]
# Recurrent layers, embeddings, transposed convolution, upsampling and nn.utils (issue 15).
from . import utils  # noqa: E402
from .conv_transpose import ConvTranspose2d  # noqa: E402
from .embedding import Embedding  # noqa: E402
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402
__all__ += ["ConvTranspose2d", "Embedding", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell",
            "RNNCellBase", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d", "utils"]
