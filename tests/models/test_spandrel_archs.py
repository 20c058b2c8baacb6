"""spandrel's SR networks as registered generators: build, train, tile.

Each registered spandrel architecture is built from a config with tiny
settings, trained one step by ``SRModel`` (channels-last, as on a CPU by
default) and run whole and tiled by ``SRInferencer``.
"""
import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper

import srtoolbox.models.generators  # noqa: F401 (registration)
from srtoolbox.apis.inference import SRInferencer
from srtoolbox.models.builder import build_generator
from srtoolbox.models.generators.spandrel_archs import (
    SPANDREL_NOT_REGISTERED, SPANDREL_SR_ARCHS)
from srtoolbox.models.sr_model import SRModel
from srtoolbox.registry import GENERATORS

# tiny settings (x2) that keep every case well under a second here
TINY = {
    'ATD': dict(embed_dim=12, depths=(1, ), num_heads=(2, ), window_size=4,
                category_size=32, num_tokens=8, reducted_dim=2,
                convffn_kernel_size=3, mlp_ratio=1.,
                upsampler='pixelshuffledirect'),
    'CRAFT': dict(embed_dim=12, depths=[1], num_heads=[2], mlp_ratio=1.),
    'Compact': dict(num_feat=8, num_conv=2),
    'DAT': dict(embed_dim=32, depth=[1], num_heads=[2], expansion_factor=1.),
    'DCTLSA': dict(nf=10, num_modules=6, num_head=2),
    'DITN': dict(dim=12, ITL_blocks=1, SAL_blocks=1, UFONE_blocks=1,
                 patch_size=8),
    'DRCT': dict(embed_dim=12, depths=(1, ), num_heads=(2, ), mlp_ratio=1.,
                 gc=4, upsampler='pixelshuffle'),
    'ESRGAN': dict(num_filters=8, num_blocks=1),
    'FDAT': dict(embed_dim=16, num_groups=1, depth_per_group=1, num_heads=2,
                 window_size=4, mid_dim=8, aim_reduction_ratio=4),
    'GRL': dict(upsampler='pixelshuffledirect', embed_dim=16, depths=[1],
                num_heads_window=[2], num_heads_stripe=[2], window_size=8,
                stripe_size=[8, 8], mlp_ratio=1.),
    'HAT': dict(embed_dim=12, depths=(1, ), num_heads=(2, ), window_size=4,
                squeeze_factor=4, mlp_ratio=1., num_feat=8),
    'MoSR': dict(n_block=1, dim=16),
    'OmniSR': dict(num_feat=16, block_num=1, window_size=8, res_num=1),
    'PLKSR': dict(dim=16, n_blocks=1, kernel_size=5),
    'RealPLKSR': dict(dim=16, n_blocks=1, kernel_size=5),
    'SpandrelRCAN': dict(n_resgroups=1, n_resblocks=1, n_feats=16,
                         reduction=4),
    'RGT': dict(embed_dim=12, depth=[1], num_heads=[2], mlp_ratio=1.,
                split_size=[4, 4]),
    'UpCunet2x': dict(),
    'UpCunet3x': dict(),
    'UpCunet4x': dict(),
    'UpCunet2x_fast': dict(),
    'SAFMN': dict(dim=8, n_blocks=1),
    'SeemoRe': dict(num_experts=2, num_layers=1, embedding_dim=16,
                    global_kernel_size=5, recursive=1),
    'SPAN': dict(num_in_ch=3, num_out_ch=3, feature_channels=8),
    'SwiftSRGAN': dict(num_channels=8, num_blocks=1),
    'Swin2SR': dict(embed_dim=12, depths=[1], num_heads=[2], window_size=4,
                    mlp_ratio=1., upsampler='pixelshuffledirect'),
    'SwinIR': dict(embed_dim=12, depths=[1], num_heads=[2], window_size=4,
                   mlp_ratio=1., upsampler='pixelshuffledirect'),
}
# networks with a fixed scale or a minimum input size
FIXED_SCALE = {'UpCunet2x': 2, 'UpCunet3x': 3, 'UpCunet4x': 4,
               'UpCunet2x_fast': 2,}
INPUT_SIZE = {'UpCunet2x': 32, 'UpCunet3x': 32, 'UpCunet4x': 32,
              'UpCunet2x_fast': 40}


def tiny_cfg(name):
    return dict(type=name, upscale=FIXED_SCALE.get(name, 2), **TINY[name])


def test_every_spandrel_architecture_is_registered_or_explained():
    from spandrel import MAIN_REGISTRY
    ids = {support.architecture.id for support in MAIN_REGISTRY}
    covered = {spec[0] for spec in SPANDREL_SR_ARCHS.values()}
    assert ids - covered - set(SPANDREL_NOT_REGISTERED) == set(), \
        'a new spandrel architecture: register it or say why not'
    assert set(TINY) == set(SPANDREL_SR_ARCHS)
    # srtoolbox's own networks keep their names
    assert GENERATORS.get('RCAN').__module__.endswith('generators.rcan')
    assert GENERATORS.get('SpandrelRCAN').spandrel_arch == 'RCAN'


@pytest.mark.parametrize('name', sorted(SPANDREL_SR_ARCHS))
def test_build_train_and_tile(name):
    torch.manual_seed(0)
    size = INPUT_SIZE.get(name, 16)
    scale = FIXED_SCALE.get(name, 2)
    model = SRModel(generator=tiny_cfg(name),
                    pixel_loss=dict(type='L1Loss'))
    net = model.generator
    assert isinstance(net.upscale, int) and net.upscale == scale
    assert net.generator_type == name
    assert model.channels_last  # 'auto' on a CPU
    optim = OptimWrapper(torch.optim.Adam(net.parameters(), lr=1e-3))
    before = [p.detach().clone() for p in net.parameters()]
    n = 1 if name.startswith('UpCunet') else 2  # DAT's BatchNorm needs 2
    data = dict(inputs=torch.rand(n, 3, size, size),
                data_samples=dict(gt=torch.rand(n, 3, size * scale,
                                                size * scale)))
    log = model.train_step(data, optim)
    assert torch.isfinite(log['loss']).item()
    assert any(not torch.equal(a, b.detach())
               for a, b in zip(before, net.parameters()))

    net = build_generator(tiny_cfg(name))
    img = np.random.default_rng(0).random((size, size, 3),
                                          dtype=np.float32)
    whole = SRInferencer(generator=net, device='cpu', progress=False)(img)
    assert whole.shape == (size * scale, size * scale, 3)
    # every tile sees the whole image as context: stitching must be exact
    tiled = SRInferencer(generator=net, device='cpu', tile=size // 2,
                         tile_pad=size, progress=False)(img)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
    # the network leaves its input alone (spandrel's RCAN scales it in place)
    x = torch.rand(1, 3, size, size)
    x_before = x.clone()
    with torch.no_grad():
        net(x)
    assert torch.equal(x, x_before)


# settings these tiny networks use that spandrel cannot read from shapes
# (ATD's token/category sizes, DCTLSA's heads, GRL's stripes, SeemoRe's
# kernel size): the released models use the values spandrel assumes
NOT_FROM_SHAPES = {'ATD', 'DCTLSA', 'GRL', 'SeemoRe'}


@pytest.mark.parametrize('name', sorted(set(SPANDREL_SR_ARCHS) -
                                        NOT_FROM_SHAPES))
def test_detected_from_state_dict_alone(name):
    from srtoolbox.models.weights.detect import detect_generator
    torch.manual_seed(0)
    net = build_generator(tiny_cfg(name)).eval()
    found, cfg, how = detect_generator(net.state_dict(), name)
    # spandrel's RCAN file is the authors' layout: srtoolbox's RCAN loads it
    assert cfg['type'] == ('RCAN' if name == 'SpandrelRCAN' else name)
    assert found.upscale == net.upscale
    size = INPUT_SIZE.get(name, 16)
    x = torch.rand(1, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(found.eval()(x), net(x))
    # the recorded config rebuilds the same network
    rebuilt = build_generator(cfg)
    rebuilt.load_state_dict(found.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.eval()(x), net(x))
