# Real-ESRGAN's compact model, x4 (SRVGGNetCompact: 64 features, 32 convs,
# PReLU; the layout of the authors' realesr-general-x4v3, 1,213,296
# parameters). The authors released its weights but no training options;
# this config trains it with realesrgan_x4plus.py's recipe (data,
# degradations, L1 + perceptual + GAN 0.1 losses, U-Net discriminator,
# Adam 1e-4 (0.9, 0.99), 400k iterations, EMA 0.999) with the compact
# generator in place of RRDBNet, from scratch.
#   tools/dist_train.sh configs/realesrgan/realesr_compact_x4.py 4
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/df2k_ost_realesrgan_x4.py']

# trained from scratch (no PSNR-oriented compact model to start from)
pretrained_generator = None

model = dict(
    type='RealESRGAN',
    generator=dict(type='SRVGGNetCompact', upscale=4, num_feat=64,
                   num_conv=32, act_type='prelu'),
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

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-4, betas=[0.9, 0.99],
                                  weight_decay=0)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4,
                                      betas=[0.9, 0.99], weight_decay=0)))
param_scheduler = []  # constant, as realesrgan_x4plus.py
train_cfg = dict(max_iters=400000, val_interval=5000)
# best checkpoint by a perceptual metric, lower is better (PSNR ranks a
# GAN's sharpest checkpoints last): LPIPS where its weights are present,
# else NIQE; the log says which
val_evaluator = _base_.val_evaluator + [
    dict(type='PerceptualBest', crop_border=4)]
default_hooks = dict(checkpoint=dict(interval=5000, save_best='perceptual',
                                     rule='less'))
model_wrapper_cfg = dict(type='SRDistributedDataParallel',
                         broadcast_buffers=False)

data_preparation = _base_.data_preparation + (
    '\nThe RealESRNet to start from: train configs/realesrgan/'
    'realesrnet_x4plus.py first, or download the authors\' '
    'RealESRNet_x4plus.pth into data/pretrained/.\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.perceptual_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
