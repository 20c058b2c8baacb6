# The field's current recipe on the CPU demo: SPAN (Wan et al., NTIRE 2024
# efficient SR winner; spandrel's reference network) with 32 channels,
# Charbonnier + a small FFT loss, schedule-free AdamW (Defazio et al. 2024:
# no LR schedule, evaluation weights for validation and checkpoints) and a
# light mixture of batch augmentations, on the vendored photographs of the
# MSRResNet demo (configs/srresnet/msrresnet_x4_demo.py) and evaluated the
# same way (Set5/Set14, Y, crop 4). Why 32 channels: a SPAN-32 training step
# costs ~0.4 of MSRResNet's on this CPU, so at equal minutes it takes ~2.5x
# the steps; its iteration count is set for the MSRResNet demo's wall time
# (docs/recipes.md has the measured table and the command).
#   python tools/train.py configs/modern/span_x4_demo.py
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/demo_x4.py',
          '../_base_/schedules/demo_360it.py']

model = dict(
    type='SRModel',
    generator=dict(type='SPAN', upscale=4, num_in_ch=3, num_out_ch=3,
                   feature_channels=32,
                   # spandrel's default norm=True scales features by 255:
                   # outputs start at std ~8 instead of ~0.1, which costs
                   # a short run its first hundred steps
                   norm=False),
    pixel_loss=dict(type='CharbonnierLoss'),
    # branch recipe1's MS-SSIM + L1 or focal frequency loss can take this
    # slot once merged, e.g. fft=dict(type='FocalFrequencyLoss', ...)
    losses=dict(fft=dict(type='FFTLoss', loss_weight=0.05, norm='ortho')),
    channels_last=True,
    data_preprocessor=dict(
        type='SRDataPreprocessor', gt_range=[0.0, 1.0],
        # each drawn for 5% of the batches, none for 80%
        batch_augments=[
            dict(type='MixUp', prob=0.05), dict(type='CutMix', prob=0.05),
            dict(type='ResizeMix', prob=0.05),
            dict(type='CutBlur', prob=0.05)]))

# schedule-free AdamW replaces the cosine schedule of the demo's base
optim_wrapper = dict(optimizer=dict(
    _delete_=True, type='AdamWScheduleFree', lr=2e-3, betas=[0.9, 0.999],
    warmup_steps=20, weight_decay=0.0))
param_scheduler = None

# equal minutes, not equal steps: training stops after `minutes` of wall
# time (then checkpoint, validation and the bicubic table, as at max_iters)
max_iters = 20000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=2))
custom_hooks = [
    dict(type='TrainTimeBudgetHook', minutes=30),
    dict(type='SRVisualizationHook', num_images=3),
    dict(type='BicubicComparisonHook', crop_border=4, test_y_channel=True),
]
