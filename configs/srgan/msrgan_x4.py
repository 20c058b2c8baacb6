# MSRGAN x4, BasicSR's SRGAN recipe (options/train/SRResNet_SRGAN/
# train_MSRGAN_x4.yml; MMagic's srgan_resnet is the same): SRResNet without
# BN (MSRResNet), VGG-style 128x128 discriminator, L1 x 1e-2 + VGG19 conv5_4
# (before ReLU, L1) x 1 + vanilla GAN x 5e-3, HR in [0, 1], EMA 0.999, on
# DIV2K sub-images; initialised from an MSRResNet trained with L1.
_base_ = ['../_base_/default_runtime.py',
          '../_base_/gan_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/div2k_lmdb_x4.py',
          '../_base_/basicsr_gan_x4.py']

# the MSRResNet (L1) to start from: a checkpoint file (BasicSR's net_g_*.pth
# loads too) or a work dir whose last_checkpoint names one. Change it with
#   --cfg-options model.pretrained_generator=/path/to/msrresnet.pth
pretrained_generator = 'work_dirs/msrresnet_x4'

# BasicSR's GAN stage (../_base_/basicsr_gan_x4.py) with SRGAN's vanilla GAN
# loss on an MSRResNet
model = dict(
    type='SRGAN',
    generator=dict(type='MSRResNet', upscale=4, num_feat=64, num_blocks=16),
    gan_loss=dict(type='GANLoss', gan_type='vanilla', loss_weight=5e-3),
    ema_decay=0.999,
    pretrained_generator=pretrained_generator)

# BasicSR's beta2 for both networks (../_base_/gan_runtime.py: 0.999)
optim_wrapper = dict(
    generator=dict(optimizer=dict(betas=(0.9, 0.99))),
    discriminator=dict(optimizer=dict(betas=(0.9, 0.99))))
train_cfg = dict(max_iters=400000, val_interval=5000)
# best checkpoint by LPIPS (else NIQE; the log says which), lower is better
default_hooks = dict(checkpoint=dict(save_best='perceptual', rule='less'))
val_evaluator = _base_.val_evaluator + [
    dict(type='PerceptualBest', crop_border=4)]

data_preparation = _base_.data_preparation + (
    '\nThe MSRResNet to start from: train it first (work_dirs/msrresnet_x4) '
    'or set model.pretrained_generator to its checkpoint.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
