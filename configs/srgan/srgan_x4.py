# SRGAN-VGG54 x4 (Ledig et al., "Photo-Realistic Single Image Super-Resolution
# Using a Generative Adversarial Network", CVPR 2017, Sec. 2-3): the paper's
# recipe on ImageNet, initialised from the MSE-trained SRResNet.
#   python tools/train.py configs/srgan/srgan_x4.py
_base_ = ['../_base_/default_runtime.py',
          '../_base_/gan_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
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
    # l_VGG/5.4 (Eq. 5), VGG features rescaled by 1/12.75 (Sec. 3.2)
    perceptual_loss=dict(
        type='PerceptualLoss', layer_weights={'relu5_4': 1.0},
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

# Adam with beta1 = 0.9 for both networks (../_base_/gan_runtime.py); 1e5
# iterations at 1e-4, then 1e5 at 1e-5.
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[100000], gamma=0.1)
]
train_cfg = dict(max_iters=200000, val_interval=5000)

# best checkpoint by LPIPS (else NIQE; the log says which), lower is better
default_hooks = dict(checkpoint=dict(save_best='perceptual', rule='less'))
val_evaluator = _base_.val_evaluator + [
    dict(type='PerceptualBest', crop_border=4)]

data_preparation = _base_.data_preparation + (
    '\nThe SRResNet to start from: train it first (work_dirs/srresnet_x4) or '
    'set model.pretrained_generator to its checkpoint.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
