# MSRResNet x4, the BasicSR recipe (options/train/SRResNet_SRGAN/
# train_MSRResNet_x4.yml): DIV2K sub-images, 128x128 HR crops, batch 16, L1,
# Adam 2e-4 (0.9, 0.99), cosine annealing restarted every 2.5e5 iterations
# down to 1e-7, 1e6 iterations. It initialises configs/srgan/msrgan_x4.py
# (which reads work_dirs/msrresnet_x4).
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/div2k_lmdb_x4.py']

model = dict(
    type='SRModel',
    generator=dict(type='MSRResNet', upscale=4),
    pixel_loss=dict(type='L1Loss'),
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, betas=[0.9, 0.99]))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, T_max=250000,
         eta_min=1e-7, begin=i * 250000, end=(i + 1) * 250000)
    for i in range(4)
]
train_cfg = dict(max_iters=1000000, val_interval=5000)
