# MSRGAN x4, BasicSR's SRGAN recipe (options/train/SRResNet_SRGAN/
# train_MSRGAN_x4.yml; MMagic's srgan_resnet is the same): SRResNet without
# BN (MSRResNet), VGG-style 128x128 discriminator, L1 x 1e-2 + VGG19 conv5_4
# (before ReLU, L1) x 1 + vanilla GAN x 5e-3, HR in [0, 1], EMA 0.999, on
# DIV2K sub-images; initialised from an MSRResNet trained with L1.
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/div2k_lmdb_x4.py']

# the MSRResNet (L1) to start from: a checkpoint file (BasicSR's net_g_*.pth
# loads too) or a work dir whose last_checkpoint names one. Change it with
#   --cfg-options model.pretrained_generator=/path/to/msrresnet.pth
pretrained_generator = 'work_dirs/msrresnet_x4'

model = dict(
    type='SRGAN',
    generator=dict(type='MSRResNet', upscale=4, num_feat=64, num_blocks=16),
    discriminator=dict(type='VGGStyleDiscriminator', num_feat=64,
                       input_size=128),
    pixel_loss=dict(type='L1Loss', loss_weight=1e-2),
    perceptual_loss=dict(
        type='PerceptualLoss', layer_weights={'conv5_4': 1.0},
        criterion='l1', loss_weight=1.0, input_range=(0.0, 1.0),
        pretrained='torchvision'),
    gan_loss=dict(type='GANLoss', gan_type='vanilla', loss_weight=5e-3),
    disc_steps=1,
    disc_init_steps=0,
    # G then D: the released recipe (BasicSR 1.4.2 SRGANModel)
    update_order='g_then_d',
    ema_decay=0.999,
    pretrained_generator=pretrained_generator,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=(0.0, 1.0)))

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4,
                                      betas=(0.9, 0.99))))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False,
         milestones=[50000, 100000, 200000, 300000], gamma=0.5)
]
train_cfg = dict(max_iters=400000, val_interval=5000)
# best checkpoint by a perceptual metric, lower is better (PSNR ranks a
# GAN's sharpest checkpoints last): LPIPS where its weights are present,
# else NIQE; the log says which
val_evaluator = _base_.val_evaluator + [
    dict(type='PerceptualBest', crop_border=4)]
default_hooks = dict(checkpoint=dict(save_best='perceptual', rule='less'))

model_wrapper_cfg = dict(type='SRDistributedDataParallel',
                         broadcast_buffers=False)

data_preparation = _base_.data_preparation + (
    '\nThe MSRResNet to start from: train it first (work_dirs/msrresnet_x4) '
    'or set model.pretrained_generator to its checkpoint.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
