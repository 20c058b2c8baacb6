# EDSR baseline x4 trained briefly on the vendored demo photographs (CPU):
# the EDSR recipe's loss and optimizer, with the demo's data and budget.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/demo_x4.py']

model = dict(
    type='SRModel',
    generator=dict(type='EDSR', upscale=4),
    pixel_loss=dict(type='L1Loss'),
    channels_last=True,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0],
                           channels_last=True))
optim_wrapper = dict(
    type='AutocastOptimWrapper', dtype='auto',
    optimizer=dict(type='Adam', lr=2e-4, betas=[0.9, 0.999], eps=1e-8))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, T_max=1000, eta_min=1e-6)]
train_cfg = dict(max_iters=1000, val_interval=500)
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=500, max_keep_ckpts=2))
custom_hooks = [
    dict(type='SRVisualizationHook', num_images=3),
    dict(type='BicubicComparisonHook', crop_border=4, test_y_channel=True),
]
