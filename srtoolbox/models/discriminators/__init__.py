"""Discriminators: one network per file, each registered in ``DISCRIMINATORS``.

Both return raw logits ``(N, 1)``; the sigmoid, where one is meant, lives in
``GANLoss``.
"""
from .patchgan_sn import PatchGANDiscriminatorSN
from .srgan_discriminator import SRGANDiscriminator
from .unet_sn import UNetDiscriminatorSN  # noqa: F401
from .vgg_style import VGGStyleDiscriminator

__all__ = ['SRGANDiscriminator', 'VGGStyleDiscriminator',
           'PatchGANDiscriminatorSN']
