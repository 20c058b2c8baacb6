# Real-ESRGAN's compact generator (SRVGGNetCompact x4, narrowed to 32
# features and 8 convs for a CPU: 1/8 of realesr-animevideov3's compute) trained
# briefly on the vendored SunHays80 photographs with the full second-order
# degradation model (blur, resize, noise, JPEG, twice; final sinc; USM GT;
# training-pair pool), run batched in the model's data step. L1 only
# (RealESRNet-style): no VGG weights are needed.
#   python tools/train.py configs/realesrgan/realesr_compact_x4_demo.py
# Prints PSNR/SSIM (Y, crop 4) of bicubic and of the model on a fixed set of
# LR images the pipeline made once with seed 0 (data/demo/realesrgan_val,
# tools/make_degraded_set.py), and writes LR | bicubic | model | HR strips
# plus one real photograph with no HR (NIQE printed) to <work_dir>/strips.
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['srtoolbox.engine.degraded_strips_hook'],
                      allow_failed_imports=False)

scale = 4
gt_size = 96  # the paper's 256 is 7x the compute per iteration
val_root = 'data/demo/realesrgan_val'

model = dict(
    type='RealESRNet',
    # Kaiming init, last conv x0.1: the default init leaves the residual at
    # zero for the first few hundred iterations of such a short run
    generator=dict(type='SRVGGNetCompact', upscale=scale, num_feat=32,
                   num_conv=8, residual_init_scale=0.1),
    pixel_loss=dict(type='L1Loss'),
    # the paper's degradation options (SecondOrderDegradation's defaults)
    # but no USM: the validation LR images were made from the plain HR, and
    # PSNR is measured against it (the released recipe sharpens the GT)
    degradation=dict(type='SecondOrderDegradation', scale=scale,
                     gt_size=gt_size, usm_sharp=False),
    queue_size=64,  # a multiple of the batch size (released: 180 for 12)
    gt_usm=False,
    # no EMA: with 0.999 the average would trail a few-hundred-iteration run
    ema_decay=None,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='RealESRGANDataset', data_root='data/demo',
                 gt_folder='SunHays80', scale=scale, gt_size=gt_size,
                 crop_pad_size=160, use_hflip=True, use_rot=False,
                 cache=True))

val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='PairedImageDataset', data_root=val_root,
                 gt_folder='gt', lq_folder='lq', scale=scale,
                 name='RealESRGANval', test_mode=True,
                 pipeline=[dict(type='PackSRInputs')]))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PSNR', crop_border=scale, test_y_channel=True),
    dict(type='SSIM', crop_border=scale, test_y_channel=True),
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-3, betas=[0.9, 0.99]))
train_cfg = dict(max_iters=500, val_interval=500)
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, T_max=500, eta_min=1e-6)]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=500, max_keep_ckpts=1))
custom_hooks = [
    dict(type='BicubicComparisonHook', crop_border=scale,
         test_y_channel=True),
    dict(type='DegradedStripsHook', lq_folder=f'{val_root}/lq',
         gt_folder=f'{val_root}/gt', real_folder=f'{val_root}/real',
         scale=scale),
]
