"""The authors' EDSR, RCAN and MSRN releases load into srtoolbox's networks.

Each file is rebuilt from a key/shape description of the EDSR-PyTorch layout
(random values), run through a reference forward written from the authors'
code (images in [0, 255], ``sub_mean``/``add_mean`` 1x1 convs, ``head``,
``body``, ``tail``), and compared with srtoolbox's network loaded without a
config (images in [0, 1]).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from srtoolbox.apis.convert import convert_checkpoint
from srtoolbox.models.weights import (load_generator_from_file,
                                      read_generator_weights)
from srtoolbox.utils.checkpoint_io import save_checkpoint_file

MEAN = (0.4488, 0.4371, 0.4040)


def conv(sd, name, cin, cout, k):
    sd[f'{name}.weight'] = torch.randn(cout, cin, k, k) * (0.5 / (cin * k))
    sd[f'{name}.bias'] = torch.randn(cout) * 0.01


def mean_shift(sd, sign, rgb_range=255.):
    sd['sub_mean.weight' if sign < 0 else 'add_mean.weight'] = \
        torch.eye(3).view(3, 3, 1, 1)
    sd['sub_mean.bias' if sign < 0 else 'add_mean.bias'] = \
        sign * rgb_range * torch.tensor(MEAN)


def upsampler(sd, prefix, nf, scale):
    """x3: one conv to 9*nf + shuffle 3; x2^n: n convs to 4*nf + shuffle 2."""
    factors = [3] if scale == 3 else [2] * (scale.bit_length() - 1)
    for i, r in enumerate(factors):
        conv(sd, f'{prefix}.{2 * i}', nf, r * r * nf, 3)
    return factors


def c(sd, name, x, pad=None):
    w = sd[f'{name}.weight']
    return F.conv2d(x, w, sd[f'{name}.bias'],
                    padding=w.shape[-1] // 2 if pad is None else pad)


def run_tail_up(sd, prefix, x, factors):
    for i, r in enumerate(factors):
        x = F.pixel_shuffle(c(sd, f'{prefix}.{2 * i}', x), r)
    return x


# ------------------------------------------------------------------ EDSR
def edsr_layout(nf, nb, scale):
    sd = {}
    mean_shift(sd, -1)
    conv(sd, 'head.0', 3, nf, 3)
    for b in range(nb):
        conv(sd, f'body.{b}.body.0', nf, nf, 3)
        conv(sd, f'body.{b}.body.2', nf, nf, 3)
    conv(sd, f'body.{nb}', nf, nf, 3)
    factors = upsampler(sd, 'tail.0', nf, scale)
    conv(sd, 'tail.1', nf, 3, 3)
    mean_shift(sd, 1)
    return sd, factors


def edsr_reference(sd, x, nb, factors, res_scale):
    x = c(sd, 'sub_mean', x, 0)
    x = c(sd, 'head.0', x)
    res = x
    for b in range(nb):
        res = res + c(sd, f'body.{b}.body.2', F.relu(
            c(sd, f'body.{b}.body.0', res))) * res_scale
    res = c(sd, f'body.{nb}', res) + x
    x = c(sd, 'tail.1', run_tail_up(sd, 'tail.0', res, factors))
    return c(sd, 'add_mean', x, 0)


# ------------------------------------------------------------------ RCAN
def rcan_layout(nf, ng, nb, reduction, scale):
    sd = {}
    mean_shift(sd, -1)
    conv(sd, 'head.0', 3, nf, 3)
    for g in range(ng):
        for b in range(nb):
            p = f'body.{g}.body.{b}.body'
            conv(sd, f'{p}.0', nf, nf, 3)
            conv(sd, f'{p}.2', nf, nf, 3)
            conv(sd, f'{p}.3.conv_du.0', nf, nf // reduction, 1)
            conv(sd, f'{p}.3.conv_du.2', nf // reduction, nf, 1)
        conv(sd, f'body.{g}.body.{nb}', nf, nf, 3)
    conv(sd, f'body.{ng}', nf, nf, 3)
    factors = upsampler(sd, 'tail.0', nf, scale)
    conv(sd, 'tail.1', nf, 3, 3)
    mean_shift(sd, 1)
    return sd, factors


def rcan_reference(sd, x, ng, nb, factors):
    x = c(sd, 'sub_mean', x, 0)
    x = c(sd, 'head.0', x)
    res = x
    for g in range(ng):
        group_in = res
        for b in range(nb):
            p = f'body.{g}.body.{b}.body'
            y = c(sd, f'{p}.2', F.relu(c(sd, f'{p}.0', res)))
            att = F.adaptive_avg_pool2d(y, 1)
            att = torch.sigmoid(c(sd, f'{p}.3.conv_du.2', F.relu(
                c(sd, f'{p}.3.conv_du.0', att, 0)), 0))
            res = res + y * att
        res = c(sd, f'body.{g}.body.{nb}', res) + group_in
    res = c(sd, f'body.{ng}', res) + x
    x = c(sd, 'tail.1', run_tail_up(sd, 'tail.0', res, factors))
    return c(sd, 'add_mean', x, 0)


# ------------------------------------------------------------------ MSRN
def msrn_layout(nf, nb, scale):
    sd = {}
    mean_shift(sd, -1)
    conv(sd, 'head.0', 3, nf, 3)
    for b in range(nb):
        conv(sd, f'body.{b}.conv_3_1', nf, nf, 3)
        conv(sd, f'body.{b}.conv_5_1', nf, nf, 5)
        conv(sd, f'body.{b}.conv_3_2', 2 * nf, 2 * nf, 3)
        conv(sd, f'body.{b}.conv_5_2', 2 * nf, 2 * nf, 5)
        conv(sd, f'body.{b}.confusion', 4 * nf, nf, 1)
    conv(sd, 'tail.0', nf * (nb + 1), nf, 1)
    conv(sd, 'tail.1', nf, nf, 3)
    factors = upsampler(sd, 'tail.2', nf, scale)
    conv(sd, 'tail.3', nf, 3, 3)
    mean_shift(sd, 1)
    return sd, factors


def msrn_reference(sd, x, nb, factors):
    x = c(sd, 'sub_mean', x, 0)
    x = c(sd, 'head.0', x)
    res, outs = x, []
    for b in range(nb):
        p = f'body.{b}'
        i2 = torch.cat([F.relu(c(sd, f'{p}.conv_3_1', x)),
                        F.relu(c(sd, f'{p}.conv_5_1', x))], 1)
        i3 = torch.cat([F.relu(c(sd, f'{p}.conv_3_2', i2)),
                        F.relu(c(sd, f'{p}.conv_5_2', i2))], 1)
        x = c(sd, f'{p}.confusion', i3, 0) + x
        outs.append(x)
    outs.append(res)
    x = c(sd, 'tail.1', c(sd, 'tail.0', torch.cat(outs, 1), 0))
    x = c(sd, 'tail.3', run_tail_up(sd, 'tail.2', x, factors))
    return c(sd, 'add_mean', x, 0)


CASES = {
    'EDSR-baseline-x2': (lambda: edsr_layout(16, 2, 2),
                         lambda sd, x, f: edsr_reference(sd, x, 2, f, 1.0),
                         'EDSR', 2),
    'EDSR-large-x3': (lambda: edsr_layout(256, 1, 3),
                      lambda sd, x, f: edsr_reference(sd, x, 1, f, 0.1),
                      'EDSR', 3),
    'RCAN-x4': (lambda: rcan_layout(16, 2, 2, 4, 4),
                lambda sd, x, f: rcan_reference(sd, x, 2, 2, f), 'RCAN', 4),
    'MSRN-x4': (lambda: msrn_layout(8, 2, 4),
                lambda sd, x, f: msrn_reference(sd, x, 2, f), 'MSRN', 4),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_authors_release_loads_with_identical_outputs(case, tmp_path):
    torch.manual_seed(0)
    make, reference, name, scale = CASES[case]
    sd, factors = make()
    path = tmp_path / 'release.pt'
    torch.save(sd, path)
    det = load_generator_from_file(path)
    assert det.generator_cfg['type'] == name and det.scale == scale
    assert 'EDSR-PyTorch' in det.how
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        expected = reference(sd, x * 255., factors) / 255.
        torch.testing.assert_close(det.network(x), expected, rtol=1e-4,
                                   atol=1e-5)
    # and as a srtoolbox checkpoint, which records its generator
    out = tmp_path / 'converted.pth'
    convert_checkpoint(path, out, 'edsr-pytorch')
    det2 = load_generator_from_file(out)
    assert det2.how == 'srtoolbox checkpoint metadata'
    assert det2.generator_cfg == det.generator_cfg
    assert read_generator_weights(out).origin == 'state_dict/generator'
    with torch.no_grad():
        torch.testing.assert_close(det2.network(x), det.network(x))


def test_spandrel_rcan_and_srtoolbox_rcan_agree(tmp_path):
    """One network, two implementations: the same file through spandrel's
    RCAN and srtoolbox's gives the same image."""
    from spandrel import MAIN_REGISTRY
    torch.manual_seed(0)
    sd, _ = rcan_layout(16, 1, 2, 4, 2)
    theirs = MAIN_REGISTRY['RCAN'].architecture.load(dict(sd)).model.eval()
    save_checkpoint_file(sd, tmp_path / 'rcan.pth')
    ours = load_generator_from_file(tmp_path / 'rcan.pth').network
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x.clone()), rtol=1e-4,
                                   atol=1e-5)


def test_rrdbnet_weights_run_identically_in_spandrel_esrgan():
    from spandrel import MAIN_REGISTRY

    from srtoolbox.models.generators import RRDBNet
    torch.manual_seed(0)
    # spandrel reads num_grow_ch as 32 (the released models' value)
    ours = RRDBNet(num_feat=8, num_blocks=1, num_grow_ch=32).eval()
    desc = MAIN_REGISTRY['ESRGAN'].architecture.load(ours.state_dict())
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(desc.model.eval()(x), ours(x))
    assert np.isclose(desc.scale, 4)
