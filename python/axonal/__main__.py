"""``python -m axonal``: the version, CPU level, threads, CUDA and data locations (see axonal/info.py).
The main job is ``python -m axonal.demo``."""
from .info import main

raise SystemExit(main())
