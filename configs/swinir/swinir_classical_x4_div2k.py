# SwinIR classical SR x4 (Liang et al., ICCVW 2021; the authors' KAIR
# options train_swinir_sr_classical): spandrel's SwinIR with 6 RSTBs x 6
# layers, 180 channels, 6 heads, window 8, MLP ratio 2, conv + pixel-shuffle
# upsampler; DIV2K, 48x48 LR patches (192 HR), batch 32, L1, Adam
# (0.9, 0.99) at 2e-4 halved at 250k/400k/450k/475k, 500k iterations, EMA
# 0.999. The paper fine-tunes x4 from its x2 model: --cfg-options
# model.pretrained_generator="dict(path=X2_FILE, skip_mismatched=['upsample.'])"
# Paper, DIV2K-trained: Set5 32.72 / 0.9021, Set14 28.94 / 0.7914.
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/div2k_lmdb_x4.py']

# 48x48 LR patches (192x192 HR crops), batch 32; flips, rotations and
# packing as the data file's pipeline
gt_size = 192
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=[
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4),
    *_base_.train_pipeline[1:]]))

model = dict(
    type='SRModel',
    generator=dict(type='SwinIR', upscale=4, in_chans=3, img_size=48,
                   window_size=8, img_range=1., depths=[6, 6, 6, 6, 6, 6],
                   embed_dim=180, num_heads=[6, 6, 6, 6, 6, 6], mlp_ratio=2,
                   upsampler='pixelshuffle', resi_connection='1conv'),
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
