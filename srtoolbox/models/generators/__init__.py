"""Generators: one network per file, each registered in ``GENERATORS``."""
from .msrresnet import MSRResNet
from .srresnet import SRResNet

__all__ = ['SRResNet', 'MSRResNet']
