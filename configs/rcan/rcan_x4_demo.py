# RCAN x4 trained briefly on the vendored demo photographs (CPU): the paper's
# L1 loss and Adam, with the demo data and 360-iteration budget that every
# x4 demo shares (RCAN is much heavier than SRResNet on a CPU). The paper's
# recipe: rcan_x4_div2k.py.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/demo_x4.py',
          '../_base_/schedules/demo_360it.py']

model = dict(
    type='SRModel',
    generator=dict(type='RCAN', upscale=4),
    pixel_loss=dict(type='L1Loss'),
    channels_last=True,
    data_preprocessor=dict(
        type='SRDataPreprocessor', gt_range=[0.0, 1.0], channels_last=True))

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
