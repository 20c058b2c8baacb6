# PLKSR (Lee et al. 2024, partial large-kernel CNN; traiNNer-redux's
# RealPLKSR is its sibling), 32 channels, 8 blocks, with the current recipe
# (../_base_/recipes/modern_x4_demo.py). Its tail adds the LR image repeated
# to every sub-pixel (a nearest-neighbour skip), so a short run starts near
# nearest upscaling instead of from noise, and a step costs ~0.2 of
# MSRResNet's on this CPU. docs/recipes.md has the measured table.
#   python tools/train.py configs/modern/plksr_x4_demo.py
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/demo_x4.py',
          '../_base_/recipes/modern_x4_demo.py']

model = dict(generator=dict(type='PLKSR', upscaling_factor=4, dim=32,
                            n_blocks=8))

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
