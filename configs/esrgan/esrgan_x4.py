# ESRGAN x4 (Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
# Adversarial Networks", ECCVW 2018, Sec. 3-4): the GAN stage, from the
# PSNR-oriented RRDBNet (rrdbnet_psnr_x4.py). L = L_percep + 5e-3 L_G^Ra +
# 1e-2 L_1 (VGG19 conv5_4 before activation, L1), relativistic average
# VGG-style discriminator, 128x128 crops, batch 16, Adam (0.9, 0.999),
# lr 1e-4 halved at 50k/100k/200k/300k, 400k iterations.
#   python tools/train.py configs/esrgan/esrgan_x4.py
_base_ = ['../_base_/default_runtime.py',
          '../_base_/gan_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/div2k_lmdb_x4.py',
          '../_base_/basicsr_gan_x4.py']

# the PSNR-oriented RRDBNet to start from: a checkpoint file (BasicSR's and
# the ESRGAN repository's RRDB_PSNR_x4.pth load too) or a work dir whose
# last_checkpoint names one. Change it with
#   --cfg-options model.pretrained_generator=/path/to/rrdbnet_psnr.pth
pretrained_generator = 'work_dirs/rrdbnet_psnr_x4'

# BasicSR's GAN stage (../_base_/basicsr_gan_x4.py) on the RRDBNet
model = dict(
    type='ESRGAN',
    generator=dict(type='RRDBNet', upscale=4, num_feat=64, num_blocks=23,
                   num_grow_ch=32),
    # relativistic average GAN for D and G (ESRGAN's Eq. 1-2), lambda 5e-3
    gan_loss=dict(type='RelativisticAverageGANLoss', gan_type='vanilla',
                  loss_weight=5e-3),
    pretrained_generator=pretrained_generator)

# Adam (0.9, 0.999) at 1e-4 for both networks: ../_base_/gan_runtime.py
train_cfg = dict(max_iters=400000, val_interval=5000)
# best checkpoint by LPIPS (else NIQE; the log says which), lower is better
default_hooks = dict(checkpoint=dict(save_best='perceptual', rule='less'))
val_evaluator = _base_.val_evaluator + [
    dict(type='PerceptualBest', crop_border=4)]

data_preparation = _base_.data_preparation + (
    '\nThe PSNR-oriented RRDBNet to start from: train '
    'configs/esrgan/rrdbnet_psnr_x4.py first (work_dirs/rrdbnet_psnr_x4) or '
    'set model.pretrained_generator to its checkpoint.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
