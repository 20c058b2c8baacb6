"""Generators: one network per file, each registered in ``GENERATORS``."""
from .edsr import EDSR, EDSRLarge
from .msrn import MSRN
from .msrresnet import MSRResNet
from .rcan import RCAN
from .rrdbnet import RRDBNet
from .srresnet import SRResNet
from .srvgg import SRVGGNetCompact  # noqa: F401
# after srtoolbox's own: spandrel's networks (imported on first build)
from . import spandrel_archs  # noqa: F401,E402

__all__ = ['SRResNet', 'MSRResNet', 'RRDBNet', 'MSRN', 'RCAN', 'EDSR',
           'EDSRLarge']
