_base_ = ['../default_runtime.py']

# The field's current training recipe for the CPU demos of configs/modern/
# (a config there adds its generator and the demo data): Charbonnier + a
# small FFT loss and schedule-free AdamW (Defazio et al. 2024: no
# learning-rate schedule; validation and checkpoints use its evaluation
# weights). No EMA: schedule-free already averages its weights.
model = dict(
    type='SRModel',
    pixel_loss=dict(type='CharbonnierLoss'),
    # MS-SSIM + L1 or the focal frequency loss can take this slot, e.g.
    # ffl=dict(type='FocalFrequencyLoss', loss_weight=1.0) (not raced here)
    losses=dict(fft=dict(type='FFTLoss', loss_weight=0.05, norm='ortho')),
    channels_last=True,
    data_preprocessor=dict(
        type='SRDataPreprocessor', gt_range=[0.0, 1.0],
        # off: in these 25-minute runs MixUp/CutMix/ResizeMix/CutBlur at 5 %
        # each cost PSNR (docs/modern_recipe.md); they regularise long runs:
        # batch_augments=[dict(type='MixUp', prob=0.05),
        #                 dict(type='CutMix', prob=0.05),
        #                 dict(type='ResizeMix', prob=0.05),
        #                 dict(type='CutBlur', prob=0.05)]
        batch_augments=None))

# autocast where bf16 is native (see ../schedules/demo_360it.py)
optim_wrapper = dict(
    type='AutocastOptimWrapper', dtype='auto',
    # 4e-3: better than 2e-3 at the same 748 steps (docs/modern_recipe.md)
    optimizer=dict(type='AdamWScheduleFree', lr=4e-3, betas=[0.9, 0.999],
                   warmup_steps=20, weight_decay=0.0))
param_scheduler = None

# equal minutes, not equal steps: training stops after `minutes` of wall
# time (then checkpoint, validation and the bicubic table, as at max_iters);
# 13 min: about the MSRResNet demo's 807 s in the README (the races of
# docs/modern_recipe.md stopped both runs together instead)
max_iters = 20000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=max_iters, max_keep_ckpts=2))
custom_hooks = [
    dict(type='TrainTimeBudgetHook', minutes=13),
    dict(type='SRVisualizationHook', num_images=3),
    dict(type='BicubicComparisonHook', crop_border=4, test_y_channel=True)]
