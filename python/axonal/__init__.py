from axonal import _C
