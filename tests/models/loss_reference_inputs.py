"""Inputs shared by the loss reference tests and by
``make_loss_references.py``, the script that computed their pinned numbers
with the reference implementations."""
import torch


def image_pair(n=2, c=3, h=168, w=176, seed=0):
    """Two correlated images in [0, 1]: a smooth random image and a noisy,
    slightly shifted copy (so SSIM is neither 0 nor 1)."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(n, c, h // 8, w // 8, generator=g, dtype=torch.float64)
    base = torch.nn.functional.interpolate(base, size=(h, w), mode='bicubic',
                                           align_corners=False)
    noise = 0.08 * torch.randn(n, c, h, w, generator=g, dtype=torch.float64)
    gt = base.clamp(0, 1)
    pred = (torch.roll(base, 1, dims=-1) + noise).clamp(0, 1)
    return pred.float(), gt.float()


def ema_output(pred, gt, seed=1):
    """An "EMA generator" output: closer to ``gt`` than ``pred`` in some
    pixels and farther in others."""
    g = torch.Generator().manual_seed(seed)
    mix = torch.rand(pred.shape, generator=g)
    return (mix * pred + (1 - mix) * gt + 0.02 * torch.randn(
        pred.shape, generator=g)).clamp(0, 1)
