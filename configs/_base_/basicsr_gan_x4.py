# The GAN stage BasicSR's x4 GAN recipes share (options/train/ESRGAN/
# train_ESRGAN_x4.yml, options/train/SRResNet_SRGAN/train_MSRGAN_x4.yml; the
# ESRGAN paper's Sec. 4.1): VGG-style 128x128 discriminator, L1 x 1e-2 +
# VGG19 conv5_4 (before ReLU, L1) x 1, one D step per G step, HR in [0, 1],
# lr halved at 50k/100k/200k/300k. A config adds its model type, generator,
# GAN loss, starting point and iterations (with ./gan_runtime.py and its
# data).
model = dict(
    discriminator=dict(type='VGGStyleDiscriminator', num_feat=64,
                       input_size=128),
    pixel_loss=dict(type='L1Loss', loss_weight=1e-2),
    perceptual_loss=dict(
        type='PerceptualLoss', layer_weights={'conv5_4': 1.0},
        criterion='l1', loss_weight=1.0, input_range=(0.0, 1.0),
        pretrained='torchvision'),
    disc_steps=1,
    disc_init_steps=0,
    # G then D: the released code (BasicSR 1.4.2 SRGANModel, ESRGANModel)
    update_order='g_then_d',
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=(0.0, 1.0)))

param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False,
         milestones=[50000, 100000, 200000, 300000], gamma=0.5)
]
