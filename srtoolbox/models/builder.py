"""Build networks from config dicts under srtoolbox's registry scope."""
from typing import Any, Mapping

from mmengine.registry import DefaultScope
from torch import nn

from ..registry import DISCRIMINATORS, GENERATORS
from . import discriminators, generators  # noqa: F401 (registration)

__all__ = ['build_generator', 'build_discriminator']


def build_generator(generator_cfg: Mapping[str, Any]) -> nn.Module:
    """A generator from a config dict, looked up in srtoolbox's registry.

    Whatever default scope the session uses (mmagic's, a test's, none),
    ``type='SRResNet'`` means srtoolbox's.
    """
    with DefaultScope.overwrite_default_scope('srtoolbox'):
        return GENERATORS.build(dict(generator_cfg))


def build_discriminator(discriminator_cfg: Mapping[str, Any]) -> nn.Module:
    """A discriminator from a config dict (see :func:`build_generator`)."""
    with DefaultScope.overwrite_default_scope('srtoolbox'):
        return DISCRIMINATORS.build(dict(discriminator_cfg))
