"""#21.3: MixUp, CutMix, ResizeMix and CutBlur of (LR, HR) batches in the
data preprocessor: pairing kept, probabilities, seed, off by default, debug
images."""
import pytest
import torch
import torch.nn.functional as F

from srtoolbox.models.batch_augments import (BatchAugment, CutBlur, CutMix,
                                             MixtureOfAugments, MixUp,
                                             ResizeMix)
from srtoolbox.models.data_preprocessor import SRDataPreprocessor

S = 4


def _constant_pairs(n=6, size=8):
    """Image i is the constant i / n (LR and its nearest-upscaled HR)."""
    values = torch.arange(n, dtype=torch.float32) / n
    lr = values.view(n, 1, 1, 1).expand(n, 3, size, size).clone()
    return lr, F.interpolate(lr, scale_factor=S, mode='nearest')


def _textured_pairs(n=6, size=8):
    torch.manual_seed(123)
    lr = torch.rand(n, 3, size, size)
    return lr, F.interpolate(lr, scale_factor=S, mode='nearest')


@pytest.mark.parametrize('aug', [MixUp(prob=1), CutMix(prob=1),
                                 ResizeMix(prob=1)])
def test_mixing_augments_keep_hr_paired_with_lr(aug):
    # HR = nearest-upscaled LR before; a box on the LR grid (or a blend)
    # keeps it so after, pixel for pixel: the pairs stay pairs
    lr, hr = _constant_pairs() if isinstance(aug, ResizeMix) \
        else _textured_pairs()
    changed = 0
    for seed in range(5):
        torch.manual_seed(seed)
        lr2, hr2 = aug(lr, hr)
        assert lr2.shape == lr.shape and hr2.shape == hr.shape
        assert torch.allclose(F.interpolate(lr2, scale_factor=S,
                                            mode='nearest'), hr2, atol=1e-6)
        changed += not torch.equal(lr2, lr)
    assert changed >= 4  # (a permutation may leave a batch as it was)


def test_mixup_blends_two_images_with_lambda_in_range():
    lr, hr = _constant_pairs()
    torch.manual_seed(0)
    lr2, _ = MixUp(prob=1, alpha_min=0.4, alpha_max=0.6)(lr, hr)
    values = lr[:, 0, 0, 0]
    for v in lr2[:, 0, 0, 0]:
        # v = lam a + (1 - lam) b for two images a, b and lam in [0.4, 0.6]
        ok = any(min(0.4 * a + 0.6 * b, 0.6 * a + 0.4 * b) - 1e-6 <= v <=
                 max(0.4 * a + 0.6 * b, 0.6 * a + 0.4 * b) + 1e-6
                 for a in values for b in values)
        assert ok


def test_cutmix_pastes_a_box_of_another_image():
    lr, hr = _constant_pairs(n=2)
    for seed in range(20):
        torch.manual_seed(seed)
        lr2, _ = CutMix(prob=1, alpha=0.9)(lr, hr)
        if not torch.equal(lr2, lr):
            break
    assert not torch.equal(lr2, lr)
    # image 0 keeps its value outside a box holding image 1's (or vice versa)
    assert set(lr2[0].unique().tolist()) <= {0.0, 0.5}
    assert set(lr2[1].unique().tolist()) <= {0.0, 0.5}


def test_cutblur_keeps_hr_and_mixes_its_detail_into_lr():
    torch.manual_seed(0)
    hr = torch.rand(2, 3, 32, 32)
    lr = F.interpolate(hr, scale_factor=1 / S, mode='area')
    inside = outside = 0
    for seed in range(12):
        torch.manual_seed(seed)
        lr2, hr2 = CutBlur(prob=1, alpha=0.7)(lr, hr)
        assert torch.equal(hr2, hr) and lr2.shape == lr.shape
        assert 0 <= float(lr2.min()) and float(lr2.max()) <= 1
        # the HR region (down without antialiasing) is no longer the LR
        # made by area averaging: the two differ by far more than rounding
        diff = (lr2 - lr).abs().mean(dim=1)[0]
        big = (diff > 0.05).float().mean()
        inside += float(big) < 0.5
        outside += float(big) >= 0.5
        assert float(diff.max()) > 0.05
    assert inside and outside  # HR box in LR, and LR box in HR, both drawn


class _Count(BatchAugment):
    def __init__(self, prob, tag):
        super().__init__(prob)
        self.tag, self.calls = tag, 0

    def __call__(self, lr, hr):
        self.calls += 1
        return lr + self.tag, hr


def test_at_most_one_augmentation_per_batch_with_its_probability():
    a, b = _Count(0.3, 1.0), _Count(0.2, 10.0)
    mix = MixtureOfAugments([a, b])
    lr, hr = torch.zeros(2, 3, 2, 2), torch.zeros(2, 3, 8, 8)
    torch.manual_seed(0)
    n = 4000
    for _ in range(n):
        out, _ = mix(lr, hr)
        assert float(out.max()) in (0.0, 1.0, 10.0)  # never both
    assert abs(a.calls / n - 0.3) < 0.03 and abs(b.calls / n - 0.2) < 0.03


def test_same_seed_same_batches_other_seed_other_batches():
    cfg = [dict(type='MixUp', prob=0.25), dict(type='CutMix', prob=0.25),
           dict(type='ResizeMix', prob=0.25), dict(type='CutBlur', prob=0.25)]
    lr, hr = _textured_pairs()

    def run(seed):
        torch.manual_seed(seed)
        mix = MixtureOfAugments(cfg)
        return [torch.cat([t.flatten() for t in mix(lr, hr)])
                for _ in range(6)]

    first, again, other = run(7), run(7), run(8)
    assert all(torch.equal(x, y) for x, y in zip(first, again))
    assert not all(torch.equal(x, y) for x, y in zip(first, other))


def test_preprocessor_is_off_by_default_and_only_augments_training():
    lr, hr = _textured_pairs()
    data = dict(inputs=lr, data_samples=dict(gt=hr))
    plain = SRDataPreprocessor()
    assert plain.batch_augments is None
    out = plain(dict(data), training=True)
    assert torch.equal(out['inputs'], lr)
    pre = SRDataPreprocessor(gt_range=(-1, 1), batch_augments=[
        dict(type='CutMix', prob=1.0)])
    out = pre(dict(data), training=False)
    assert torch.equal(out['inputs'], lr)
    torch.manual_seed(1)
    out = pre(dict(data), training=True)
    assert not torch.equal(out['inputs'], lr)
    # gt in its range, gt_unit the augmented HR in [0, 1], still paired
    unit = out['data_samples']['gt_unit']
    assert torch.allclose(out['data_samples']['gt'], unit * 2 - 1)
    assert torch.equal(F.interpolate(out['inputs'], scale_factor=S,
                                     mode='nearest'), unit)


@pytest.mark.parametrize('cls', [MixUp, CutMix, ResizeMix, CutBlur])
def test_probability_outside_0_1_is_refused(cls):
    with pytest.raises(ValueError, match=r'prob = 1.2 is outside \[0, 1\]'):
        cls(prob=1.2)


def test_debug_writes_a_few_augmented_pairs(tmp_path):
    from srtoolbox.utils.image_io import imread
    mix = MixtureOfAugments([dict(type='CutMix', prob=1.0)],
                            debug_dir=str(tmp_path), debug_batches=2)
    lr, hr = _textured_pairs(n=3)
    torch.manual_seed(0)
    for _ in range(4):
        mix(lr, hr)
    (run_dir, ) = list(tmp_path.iterdir())  # a new folder per run
    files = sorted(p.name for p in run_dir.iterdir())
    assert len(files) == 2 * 3 and all('CutMix' in f for f in files)
    img = imread(str(run_dir / files[0]))
    assert img.shape == (32, 64, 3)  # LR upscaled | HR
