# Lightweight SwinIR x4 (Liang et al., ICCVW 2021; KAIR options
# train_swinir_sr_lightweight): the classical recipe (L1, Adam (0.9, 0.99)
# at 2e-4 halved at 250k/400k/450k/475k, 500k iterations, EMA 0.999) with
# 4 RSTBs x 6 layers, 60 channels, 6 heads, window 8, MLP ratio 2, one-step
# pixel-shuffle upsampler (897k parameters); DIV2K, 64x64 LR patches
# (256 HR), batch 64.
# Paper: Set5 32.44 / 0.8976, Set14 28.77 / 0.7858.
_base_ = ['./swinir_classical_x4_div2k.py']

gt_size = 256  # KAIR's lightweight options: 64x64 LR patches
# 256x256 HR crops (gt_size above), batch 64
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=[
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4),
    *_base_.train_pipeline[1:]]))

# the lightweight network: fewer, narrower blocks, one-step upsampler
model = dict(generator=dict(
    img_size=64, depths=[6, 6, 6, 6], embed_dim=60, num_heads=[6, 6, 6, 6],
    upsampler='pixelshuffledirect'))
