# Lightweight SwinIR x4 (Liang et al., ICCVW 2021; KAIR options
# train_swinir_sr_lightweight): spandrel's SwinIR with 4 RSTBs x 6 layers,
# 60 channels, 6 heads, window 8, MLP ratio 2, one-step pixel-shuffle
# upsampler (897k parameters); DIV2K, 64x64 LR patches (256 HR), batch 64,
# L1, Adam (0.9, 0.99) at 2e-4 halved at 250k/400k/450k/475k, 500k
# iterations, EMA 0.999.
# Paper: Set5 32.44 / 0.8976, Set14 28.77 / 0.7858.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/div2k_lmdb_x4.py']

gt_size = 256
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=[
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4),
    dict(type='RandomFlipRotate'),
    dict(type='PackSRInputs'),
]))

model = dict(
    type='SRModel',
    generator=dict(type='SwinIR', upscale=4, in_chans=3, img_size=64,
                   window_size=8, img_range=1., depths=[6, 6, 6, 6],
                   embed_dim=60, num_heads=[6, 6, 6, 6], mlp_ratio=2,
                   upsampler='pixelshuffledirect', resi_connection='1conv'),
    pixel_loss=dict(type='L1Loss'),
    ema_decay=0.999,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

optim_wrapper = dict(
    type='AutocastOptimWrapper', dtype='auto',
    optimizer=dict(type='Adam', lr=2e-4, betas=[0.9, 0.99]))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, gamma=0.5,
         milestones=[250000, 400000, 450000, 475000])]
train_cfg = dict(max_iters=500000, val_interval=5000)
