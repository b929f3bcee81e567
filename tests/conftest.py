"""Lets test modules import the shared helpers in this folder (``from torch_compare import ...``)."""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
