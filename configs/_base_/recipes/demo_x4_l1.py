# The CPU demo recipe every PSNR-oriented x4 demo shares, so that
# model-zoo.md compares architectures under one recipe: the vendored demo
# data (../datasets/demo_x4.py), Adam 5e-4 with a cosine decay over 360
# iterations (../schedules/demo_360it.py), SRModel with an L1 loss on HR in
# [0, 1], channels-last memory format; validation, a checkpoint, strips and
# the bicubic comparison table at the end. A demo config adds its generator.
_base_ = ['../default_runtime.py',
          '../datasets/set5_set14_x4_val.py',
          '../datasets/demo_x4.py',
          '../schedules/demo_360it.py']

model = dict(
    type='SRModel',
    pixel_loss=dict(type='L1Loss'),
    channels_last=True,
    data_preprocessor=dict(
        type='SRDataPreprocessor', gt_range=[0.0, 1.0], channels_last=True))

train_cfg = dict(max_iters=360, val_interval=360)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=360, max_keep_ckpts=2))
custom_hooks = [
    dict(type='SRVisualizationHook', num_images=3),
    dict(type='BicubicComparisonHook', crop_border=4, test_y_channel=True),
]
