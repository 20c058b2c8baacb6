"""Generators: one network per file, each registered in ``GENERATORS``."""
from .edsr import EDSR, EDSRLarge
from .msrn import MSRN
from .msrresnet import MSRResNet
from .rcan import RCAN
from .rrdbnet import RRDBNet
from .srresnet import SRResNet

__all__ = ['SRResNet', 'MSRResNet', 'RRDBNet', 'MSRN', 'RCAN', 'EDSR',
           'EDSRLarge']
