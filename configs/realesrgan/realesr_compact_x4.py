# Real-ESRGAN's compact model, x4 (SRVGGNetCompact: 64 features, 32 convs,
# PReLU; the layout of the authors' realesr-general-x4v3, 1,213,296
# parameters). The authors released its weights but no training options;
# this config trains it with realesrgan_x4plus.py's recipe (data,
# degradations, L1 + perceptual + GAN 0.1 losses, U-Net discriminator,
# Adam 1e-4 (0.9, 0.99), 400k iterations, EMA 0.999) with the compact
# generator in place of RRDBNet, from scratch.
#   tools/dist_train.sh configs/realesrgan/realesr_compact_x4.py 4
_base_ = ['./realesrgan_x4plus.py']

# trained from scratch (no PSNR-oriented compact model to start from)
pretrained_generator = None

model = dict(
    # the compact generator in place of RRDBNet
    generator=dict(_delete_=True, type='SRVGGNetCompact', upscale=4,
                   num_feat=64, num_conv=32, act_type='prelu'),
    # from scratch (the main config's value was read before this override)
    pretrained_generator=pretrained_generator)
