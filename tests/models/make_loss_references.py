"""Recompute the numbers pinned in ``test_losses_reference.py`` with the
reference implementations (not run by the tests):

    pip install pytorch-msssim focal-frequency-loss
    PYTHONPATH=$PWD python tests/models/make_loss_references.py

* SSIM, MS-SSIM: the ``pytorch-msssim`` package (``ssim``, ``ms_ssim``,
  ``data_range=1``);
* focal frequency loss: the authors' ``focal-frequency-loss`` package;
* LDL: :func:`ldl_reference` below, written from the equations of Liang et
  al. (CVPR 2022, Sec. 3.2) with explicit loops, not from srtoolbox;
* DISTS: the authors' ``dists-pytorch`` package (``pip install
  dists-pytorch``) on the random VGG16 of :func:`shared_dists_backbone`
  (the package would download ImageNet weights: its ``vgg16`` is replaced
  by one holding the shared weights).
"""
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from loss_reference_inputs import ema_output, image_pair  # noqa: E402


def ldl_reference(gt, sr, ema, ksize=7):
    """L1(M * sr, M * gt) with M from the paper, pixel by pixel (float64)."""
    gt, sr, ema = gt.double(), sr.double(), ema.double()
    n, _, h, w = gt.shape
    r = (gt - sr).abs().sum(1)  # (N, H, W)
    r_ema = (gt - ema).abs().sum(1)
    pad = ksize // 2
    total = 0.0
    for i in range(n):
        values = r[i].flatten()
        mean = values.mean()
        sigma_patch = ((values - mean)**2).sum() / (values.numel() - 1)
        weight_patch = sigma_patch**(1 / 5)
        padded = torch.nn.functional.pad(r[i][None, None],
                                         (pad, pad, pad, pad),
                                         mode='reflect')[0, 0]
        for y in range(h):
            for x in range(w):
                window = padded[y:y + ksize, x:x + ksize].flatten()
                local = ((window - window.mean())**2).sum() / (ksize**2 - 1)
                m = weight_patch * local
                if r[i, y, x] < r_ema[i, y, x]:
                    m = 0.0
                total += float((m * (sr[i, :, y, x] - gt[i, :, y, x])
                                ).abs().sum())
    return total / gt.numel()


def shared_dists_backbone():
    """srtoolbox's DISTSNet on a seeded random VGG16 (the test's)."""
    from srtoolbox.evaluation.dists import DISTSNet
    torch.manual_seed(0)
    return DISTSNet(pretrained=None)


def dists_reference(x, y, ours):
    """The dists-pytorch package's score with ``ours``'s VGG16 weights."""
    import torchvision
    from DISTS_pytorch import DISTS_pt
    with torch.device('meta'):  # the classifier is never allocated
        vgg = torchvision.models.vgg16(weights=None)
    vgg.features = vgg.features.to_empty(device='cpu')
    vgg.features.load_state_dict(ours.features.state_dict(), strict=False)
    assert [k for k in vgg.features.state_dict()] == [
        k for k in ours.features.state_dict()]
    # the package calls models.vgg16(pretrained=True), which downloads
    DISTS_pt.models = type('Models', (), {
        'vgg16': staticmethod(lambda pretrained=True: vgg)})
    return DISTS_pt.DISTS()(x, y).reshape(-1).tolist()


def main():
    from focal_frequency_loss import FocalFrequencyLoss
    from pytorch_msssim import ms_ssim, ssim
    pred, gt = image_pair(n=1, h=168, w=168)
    print('ssim', ssim(pred, gt, data_range=1, size_average=False).tolist())
    print('ssim win7', ssim(pred, gt, data_range=1, win_size=7,
                            size_average=False).tolist())
    print('ms_ssim', ms_ssim(pred, gt, data_range=1,
                             size_average=False).tolist())
    small_pred, small_gt = image_pair(h=64, w=72, seed=3)
    for kwargs in (dict(), dict(alpha=2.0, patch_factor=2),
                   dict(log_matrix=True, batch_matrix=True),
                   dict(ave_spectrum=True)):
        value = FocalFrequencyLoss(**kwargs)(small_pred, small_gt)
        print('ffl', kwargs, repr(float(value)))
    ldl_pred, ldl_gt = image_pair(n=2, h=24, w=20, seed=5)
    ema = ema_output(ldl_pred, ldl_gt)
    print('ldl ema', repr(ldl_reference(ldl_gt, ldl_pred, ema)))
    # a close pair and two unrelated images
    dists_pred = image_pair(n=2, h=64, w=64, seed=7)[0]
    dists_gt = torch.stack([image_pair(n=1, h=64, w=64, seed=7)[1][0],
                            image_pair(n=1, h=64, w=64, seed=8)[1][0]])
    print('dists', dists_reference(dists_pred, dists_gt,
                                   shared_dists_backbone()))
    # an EMA output equal to gt never masks: the unrefined map
    print('ldl no-ema', repr(ldl_reference(ldl_gt, ldl_pred, ldl_gt)))


if __name__ == '__main__':
    main()
