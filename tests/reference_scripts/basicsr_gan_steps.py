"""Golden steps: one training iteration of BasicSR 1.4.2's SRGANModel,
ESRGANModel and RealESRGANModel (degradation fixed: the same lq / gt /
gt_usm batch) from seeded weights; writes tests/data/golden_gan_steps.pt,
which tests/models/test_gan_golden.py compares srtoolbox's step with.

Run (BasicSR installed without its dependencies at /work/ref/basicsr):

    PYTHONPATH=/work/ref/basicsr:$PWD python \
        tests/reference_scripts/basicsr_gan_steps.py

Not collected by pytest; the tests never import BasicSR. The perceptual
loss is left out (BasicSR's would download VGG19); L1, the GAN terms, the
targets, Adam and the EMA are BasicSR's own code.
"""
import os.path as osp
import sys
from collections import OrderedDict

import torch
import torchvision.transforms.functional as tvf

# BasicSR 1.4.2 imports a module torchvision removed
sys.modules.setdefault('torchvision.transforms.functional_tensor', tvf)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tests', 'models'))

from basicsr.archs.discriminator_arch import (  # noqa: E402
    UNetDiscriminatorSN, VGGStyleDiscriminator)
from basicsr.archs.srresnet_arch import MSRResNet  # noqa: E402
from basicsr.archs.srvgg_arch import SRVGGNetCompact  # noqa: E402
from basicsr.losses.basic_loss import L1Loss  # noqa: E402
from basicsr.losses.gan_loss import GANLoss  # noqa: E402
from basicsr.models.esrgan_model import ESRGANModel  # noqa: E402
from basicsr.models.realesrgan_model import RealESRGANModel  # noqa: E402
from basicsr.models.srgan_model import SRGANModel  # noqa: E402

import golden_gan_setup as setup  # noqa: E402

NETS = {'MSRResNet': MSRResNet, 'SRVGGNetCompact': SRVGGNetCompact,
        'VGGStyleDiscriminator': VGGStyleDiscriminator,
        'UNetDiscriminatorSN': UNetDiscriminatorSN}
MODELS = {'SRGAN': SRGANModel, 'ESRGAN': ESRGANModel,
          'RealESRGAN': RealESRGANModel}


def build(spec, seed):
    ours, theirs = spec
    net = NETS[ours['type']](**theirs)
    net.load_state_dict(setup.seeded_weights(net.state_dict(), seed))
    return net


def run(name):
    case = setup.CASES[name]
    # the model object without its __init__ (which reads option files and
    # moves things to CUDA): BasicSR's optimize_parameters on its attributes
    model = MODELS[name].__new__(MODELS[name])
    model.opt = dict(dist=False, l1_gt_usm=True, percep_gt_usm=True,
                     gan_gt_usm=False)
    model.device = torch.device('cpu')
    model.net_g = build(case['g'], seed=1)
    model.net_d = build(case['d'], seed=2)
    model.net_g_ema = build(case['g'], seed=1)
    model.net_g_ema.eval()
    model.net_g.train()
    model.net_d.train()
    model.cri_pix = L1Loss(loss_weight=1.0)
    model.cri_perceptual = None
    model.cri_ldl = None
    model.cri_gan = GANLoss('vanilla', loss_weight=setup.GAN_WEIGHT)
    model.net_d_iters, model.net_d_init_iters = 1, 0
    model.ema_decay = setup.EMA_DECAY
    model.optimizer_g = torch.optim.Adam(model.net_g.parameters(),
                                         lr=setup.LR, betas=setup.BETAS)
    model.optimizer_d = torch.optim.Adam(model.net_d.parameters(),
                                         lr=setup.LR, betas=setup.BETAS)
    model.lq, model.gt, model.gt_usm = setup.fixed_batch(case['gt_size'])
    model.optimize_parameters(current_iter=1)
    logs = {k: float(v) for k, v in model.log_dict.items()}
    return dict(
        generator=OrderedDict((k, v.detach().clone()) for k, v in
                              model.net_g.state_dict().items()),
        generator_ema=OrderedDict((k, v.detach().clone()) for k, v in
                                  model.net_g_ema.state_dict().items()),
        discriminator=OrderedDict((k, v.detach().clone()) for k, v in
                                  model.net_d.state_dict().items()),
        logs=logs)


def main():
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    results = {name: run(name) for name in setup.CASES}
    import basicsr
    results['meta'] = dict(basicsr=basicsr.__version__,
                           torch=str(torch.__version__))
    out = osp.join(REPO, 'tests', 'data', 'golden_gan_steps.pt')
    torch.save(results, out)
    for name in setup.CASES:
        print(name, results[name]['logs'])
    print('wrote', out, f'({osp.getsize(out)} bytes)')


if __name__ == '__main__':
    main()
