# RealESRGAN x4plus (Wang et al., ICCVW 2021): the GAN stage, from
# RealESRNet x4plus. Released options/train_realesrgan_x4plus.yml: the same
# data and degradations as realesrnet_x4plus.py; L1 (x1) + VGG19
# perceptual (L1 on conv1_2 x0.1, conv2_2 x0.1, conv3_4, conv4_4,
# conv5_4 x1, before activation, ImageNet-normalised, x1) + vanilla GAN
# (x0.1) with the U-Net discriminator (spectral norm); L1 and perceptual
# against the USM-sharpened GT, the discriminator sees the plain GT;
# generator then discriminator step each iteration; Adam 1e-4 (0.9, 0.99)
# for both at a constant rate (the release's one milestone, 400k, is its
# last iteration: it changes nothing), 400k iterations, EMA 0.999.
#   tools/dist_train.sh configs/realesrgan/realesrgan_x4plus.py 4
_base_ = ['../_base_/default_runtime.py',
          '../_base_/gan_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/df2k_ost_realesrgan_x4.py']

# RealESRNet x4plus (params_ema): the authors' RealESRNet_x4plus.pth
# (https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.1/
# RealESRNet_x4plus.pth) or a work dir of realesrnet_x4plus.py
pretrained_generator = 'data/pretrained/RealESRNet_x4plus.pth'

model = dict(
    type='RealESRGAN',
    generator=dict(type='RRDBNet', upscale=4, num_feat=64, num_blocks=23,
                   num_grow_ch=32),
    discriminator=dict(type='UNetDiscriminatorSN', in_channels=3,
                       num_feat=64, skip_connection=True),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0),
    perceptual_loss=dict(
        type='PerceptualLoss',
        layer_weights={'conv1_2': 0.1, 'conv2_2': 0.1, 'conv3_4': 1.0,
                       'conv4_4': 1.0, 'conv5_4': 1.0},
        criterion='l1', loss_weight=1.0, input_range=[0.0, 1.0],
        pretrained='torchvision'),
    gan_loss=dict(type='GANLoss', gan_type='vanilla', real_label_val=1.0,
                  fake_label_val=0.0, loss_weight=0.1),
    disc_steps=1,
    disc_init_steps=0,
    # G then D: the released code (BasicSR 1.4.2 RealESRGANModel)
    update_order='g_then_d',
    degradation={{_base_.degradation}},
    queue_size=180,
    l1_gt_usm=True,
    percep_gt_usm=True,
    gan_gt_usm=False,
    ema_decay=0.999,
    pretrained_generator=pretrained_generator,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

# Adam 1e-4 for both networks (../_base_/gan_runtime.py) with the release's
# beta2 0.99 and no weight decay
optim_wrapper = dict(
    generator=dict(optimizer=dict(betas=[0.9, 0.99], weight_decay=0)),
    discriminator=dict(optimizer=dict(betas=[0.9, 0.99], weight_decay=0)))
param_scheduler = []  # constant learning rate
train_cfg = dict(max_iters=400000, val_interval=5000)
# best checkpoint by LPIPS (else NIQE; the log says which), lower is better
default_hooks = dict(checkpoint=dict(save_best='perceptual', rule='less'))
val_evaluator = _base_.val_evaluator + [
    dict(type='PerceptualBest', crop_border=4)]

data_preparation = _base_.data_preparation + (
    '\nThe RealESRNet to start from: train configs/realesrgan/'
    'realesrnet_x4plus.py first, or download the authors\' '
    'RealESRNet_x4plus.pth into data/pretrained/.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
