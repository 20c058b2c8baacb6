# SPAN x4 (Wan et al., CVPRW 2024): spandrel's SPAN, 48 channels, six
# parameter-free attention blocks, pixel-shuffle tail. The authors'
# repository publishes the network and checkpoints but no training options;
# this config uses the efficient-SR recipe of BasicSR's lightweight models
# (DF2K, 64x64 LR patches, batch 64, L1, Adam (0.9, 0.99) at 5e-4 halved
# every 200k, 1M iterations, EMA 0.999): a starting point, not the paper's.
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/df2k_lmdb_x4.py']

train_dataloader = dict(batch_size=64)

model = dict(
    type='SRModel',
    generator=dict(type='SPAN', upscale=4, num_in_ch=3, num_out_ch=3,
                   feature_channels=48),
    pixel_loss=dict(type='L1Loss'),
    ema_decay=0.999,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

optim_wrapper = dict(
    type='AutocastOptimWrapper', dtype='auto',
    optimizer=dict(type='Adam', lr=5e-4, betas=[0.9, 0.99]))
param_scheduler = [
    dict(type='StepLR', by_epoch=False, step_size=200000, gamma=0.5)]
train_cfg = dict(max_iters=1000000, val_interval=5000)
