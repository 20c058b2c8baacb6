# Real-ESRGAN's compact model, x4 (SRVGGNetCompact: 64 features, 32 convs,
# PReLU; the layout of the authors' realesr-general-x4v3, 1,213,296
# parameters). The authors released its weights but no training options;
# this config trains it with realesrgan_x4plus.py's recipe (data,
# degradations, losses, U-Net discriminator, optimisers, schedule, EMA)
# with the compact generator in place of RRDBNet, from scratch.
#   tools/dist_train.sh configs/realesrgan/realesr_compact_x4.py 4
_base_ = ['./realesrgan_x4plus.py']

model = dict(
    generator=dict(_delete_=True, type='SRVGGNetCompact', upscale=4,
                   num_feat=64, num_conv=32, act_type='prelu'),
    pretrained_generator=None)

data_preparation = _base_.data_preparation
