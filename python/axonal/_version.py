"""The one place the version is written: pyproject.toml reads it from here at build time (scikit-build-core's
regex metadata provider) and ``axonal.__version__`` imports it."""
__version__ = "0.1.0"
