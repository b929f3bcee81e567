"""torch.optim.lr_scheduler's schedulers: set ``group['lr']`` of an optimizer's parameter groups epoch by epoch
(or batch by batch for OneCycleLR), with torch's formulas, so the lr sequences are the same floats as torch's."""
from .schedulers_basic import CosineAnnealingLR, ExponentialLR, LRScheduler, ReduceLROnPlateau, StepLR
from .schedulers_more import (
    ConstantLR,
    CosineAnnealingWarmRestarts,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
)

__all__ = ["ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR", "LRScheduler",
           "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR", "ReduceLROnPlateau", "StepLR"]
