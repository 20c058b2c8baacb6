# SRGAN-VGG22 x4 (Ledig et al., CVPR 2017, Table 1): l_VGG/2.2, the MSE of
# phi_2,2 (VGG19 after the ReLU of conv2_2), features rescaled by 1/12.75
# like every VGG loss of the paper (Sec. 3.2), plus 10^-3 adversarial loss.
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/imagenet_lmdb_x4.py']

# The SRResNet (MSE) the generator starts from: a checkpoint file, or a work
# dir whose last_checkpoint names one. Change it with
#   --cfg-options model.pretrained_generator=/path/to/srresnet.pth
pretrained_generator = 'work_dirs/srresnet_x4'

model = dict(
    type='SRGAN',
    generator=dict(type='SRResNet', upscale=4, num_feat=64, num_blocks=16),
    discriminator=dict(type='SRGANDiscriminator', num_feat=64,
                       input_size=96),
    # l_VGG/2.2: phi_2,2 (VGG19 after the ReLU of conv2_2), features rescaled
    # by 1/12.75 like every VGG loss of the paper (Sec. 3.2)
    perceptual_loss=dict(
        type='PerceptualLoss', layer_weights={'relu2_2': 1.0},
        criterion='mse', feature_scale=1 / 12.75, input_range=(-1.0, 1.0),
        pretrained='torchvision'),
    # 10^-3 * l_Gen, l_Gen = -log D(G(I_LR)) (Eq. 3, 6)
    gan_loss=dict(type='GANLoss', gan_type='vanilla', loss_weight=1e-3),
    disc_steps=1,  # k = 1: alternate D and G updates
    disc_init_steps=0,
    # D then G: Goodfellow et al.'s Algorithm 1, which the paper follows
    # (no released code; BasicSR's SRGANModel does G then D)
    update_order='d_then_g',
    pretrained_generator=pretrained_generator,
    # LR in [0, 1], HR (and the discriminator's inputs) in [-1, 1]
    data_preprocessor=dict(type='SRDataPreprocessor',
                           gt_range=(-1.0, 1.0)))

# Adam with beta1 = 0.9 for both networks; 1e5 iterations at 1e-4, then 1e5
# at 1e-5. --amp switches both wrappers to autocast.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4,
                                      betas=(0.9, 0.999))))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[100000], gamma=0.1)
]
train_cfg = dict(max_iters=200000, val_interval=5000)
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
    '\nThe SRResNet to start from: train it first (work_dirs/srresnet_x4) or '
    'set model.pretrained_generator to its checkpoint.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
