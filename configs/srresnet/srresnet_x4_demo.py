# SRResNet x4 (Ledig et al., CVPR 2017) trained briefly on the vendored
# SunHays80 photographs, evaluated on Set5 and Set14 (Y, crop 4).
# The README's main job: python tools/train.py configs/srresnet/srresnet_x4_demo.py
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/demo_x4.py',
          '../_base_/schedules/demo_360it.py']

model = dict(
    type='SRModel',
    generator=dict(type='SRResNet', upscale=4, num_feat=64, num_blocks=16),
    pixel_loss=dict(type='MSELoss'),
    channels_last=True,
    data_preprocessor=dict(
        type='SRDataPreprocessor', gt_range=[-1.0, 1.0], channels_last=True))

# the demo budget (see ../_base_/schedules/demo_360it.py): validation, a
# checkpoint, strips and the bicubic comparison table at the end
train_cfg = dict(max_iters=360, val_interval=360)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=360, max_keep_ckpts=2))
custom_hooks = [
    dict(type='SRVisualizationHook', num_images=3),
    dict(type='BicubicComparisonHook', crop_border=4, test_y_channel=True),
]
