# SPAN (Wan et al., NTIRE 2024 efficient-SR winner; spandrel's reference
# network), 32 channels, trained with the current recipe
# (../_base_/recipes/modern_x4_demo.py) on the MSRResNet demo's photographs
# and evaluated the same way (Set5/Set14, Y, crop 4), for a wall-clock
# budget instead of a step count. docs/recipes.md has the measured table.
#   python tools/train.py configs/modern/span_x4_demo.py
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/demo_x4.py',
          '../_base_/recipes/modern_x4_demo.py']

model = dict(generator=dict(
    type='SPAN', upscale=4, num_in_ch=3, num_out_ch=3, feature_channels=32,
    # spandrel's default norm=True scales features by 255: outputs start at
    # std ~8 instead of ~0.1, which costs a short run its first steps
    norm=False))

# equal minutes, not equal steps: training stops after `minutes` of wall
# time (then checkpoint, validation and the bicubic table, as at max_iters)
max_iters = 20000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=max_iters, max_keep_ckpts=2))
custom_hooks = [
    dict(type='TrainTimeBudgetHook', minutes=30),
    dict(type='SRVisualizationHook', num_images=3),
    dict(type='BicubicComparisonHook', crop_border=4, test_y_channel=True)]
