"""srtoolbox: a registry-based super-resolution toolbox on mmengine.

Importing the package is cheap on purpose: it imports no torch, no mmengine
and no optional dependency. Submodules (``srtoolbox.registry``,
``srtoolbox.models``, ...) are imported on use; the registries import the
modules that fill them the first time they are queried.
"""
from .version import __version__

__all__ = ['__version__']
