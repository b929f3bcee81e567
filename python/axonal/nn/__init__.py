"""Neural-network building blocks: Module, layers, losses, init and the functional forms."""
from . import functional, init
from .batchnorm import BatchNorm1d, BatchNorm2d
from .layers import Conv2d, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter
from . import parallel
from .parallel import SyncBatchNorm
from .simple import (
    AdaptiveAvgPool2d, AvgPool2d, Dropout, Flatten, Identity, LeakyReLU, LogSoftmax, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax,
    Step, Tanh,
)

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss",
    "Dropout", "Flatten", "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d",
    "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Step", "SyncBatchNorm", "Tanh", "functional",
    "init", "parallel",
]
