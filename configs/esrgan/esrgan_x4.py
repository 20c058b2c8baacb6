# ESRGAN x4 (Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
# Adversarial Networks", ECCVW 2018, Sec. 3-4): the GAN stage, from the
# PSNR-oriented RRDBNet (rrdbnet_psnr_x4.py). L = L_percep + 5e-3 L_G^Ra +
# 1e-2 L_1 (VGG19 conv5_4 before activation, L1), relativistic average
# VGG-style discriminator, 128x128 crops, batch 16, Adam (0.9, 0.999),
# lr 1e-4 halved at 50k/100k/200k/300k, 400k iterations.
#   python tools/train.py configs/esrgan/esrgan_x4.py
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/div2k_lmdb_x4.py']

# the PSNR-oriented RRDBNet to start from: a checkpoint file (BasicSR's and
# the ESRGAN repository's RRDB_PSNR_x4.pth load too) or a work dir whose
# last_checkpoint names one. Change it with
#   --cfg-options model.pretrained_generator=/path/to/rrdbnet_psnr.pth
pretrained_generator = 'work_dirs/rrdbnet_psnr_x4'

model = dict(
    type='ESRGAN',
    generator=dict(type='RRDBNet', upscale=4, num_feat=64, num_blocks=23,
                   num_grow_ch=32),
    discriminator=dict(type='VGGStyleDiscriminator', num_feat=64,
                       input_size=128),
    pixel_loss=dict(type='L1Loss', loss_weight=1e-2),
    perceptual_loss=dict(
        type='PerceptualLoss', layer_weights={'conv5_4': 1.0},
        criterion='l1', loss_weight=1.0, input_range=(0.0, 1.0),
        pretrained='torchvision'),
    # relativistic average GAN for D and G (ESRGAN's Eq. 1-2), lambda 5e-3
    gan_loss=dict(type='RelativisticAverageGANLoss', gan_type='vanilla',
                  loss_weight=5e-3),
    disc_steps=1,
    disc_init_steps=0,
    # G then D: the released code (BasicSR 1.4.2 ESRGANModel)
    update_order='g_then_d',
    pretrained_generator=pretrained_generator,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=(0.0, 1.0)))

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4,
                                      betas=(0.9, 0.999))))
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

# one DDP per network; BatchNorm running statistics stay per process (see
# srtoolbox/models/gan_model.py)
model_wrapper_cfg = dict(type='SRDistributedDataParallel',
                         broadcast_buffers=False)

data_preparation = _base_.data_preparation + (
    '\nThe PSNR-oriented RRDBNet to start from: train '
    'configs/esrgan/rrdbnet_psnr_x4.py first (work_dirs/rrdbnet_psnr_x4) or '
    'set model.pretrained_generator to its checkpoint.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
