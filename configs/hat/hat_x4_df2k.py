# HAT x4 (Chen et al., CVPR 2023; the authors' options
# train_HAT_SRx4_finetune_from_SRx2.yml): spandrel's HAT with 6 groups x 6
# blocks, 180 channels, 6 heads, window 16, channel attention (compress 3,
# squeeze 30, scale 0.01), overlapping cross-attention (ratio 0.5), MLP
# ratio 2; DF2K (DIV2K + Flickr2K), 64x64 LR patches (256 HR), batch 32,
# L1, Adam (0.9, 0.99) at 1e-4 halved at 125k/200k/225k/240k, 250k
# iterations, EMA 0.999, fine-tuned from the x2 model (pretrained_x2 below:
# its tensors but the x4 upsampler's new ones).
# Paper: Set5 33.04 / 0.9056, Set14 29.23 / 0.7973.
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/df2k_lmdb_x4.py']

# the x2 HAT to fine-tune from (the authors' HAT_SRx2.pth, or a work dir of
# an x2 run), any layout srtoolbox reads (--cfg-options
# model.pretrained_generator=None trains from scratch)
pretrained_x2 = 'data/pretrained/HAT_SRx2.pth'

model = dict(
    type='SRModel',
    generator=dict(type='HAT', upscale=4, in_chans=3, img_size=64,
                   window_size=16, compress_ratio=3, squeeze_factor=30,
                   conv_scale=0.01, overlap_ratio=0.5, img_range=1.,
                   depths=[6, 6, 6, 6, 6, 6], embed_dim=180,
                   num_heads=[6, 6, 6, 6, 6, 6], mlp_ratio=2,
                   upsampler='pixelshuffle', resi_connection='1conv'),
    pixel_loss=dict(type='L1Loss'),
    ema_decay=0.999,
    # x2 -> x4: the upsampler's second conv is new and keeps its init
    pretrained_generator=dict(path=pretrained_x2,
                              skip_mismatched=['upsample.']),
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

optim_wrapper = dict(
    type='AutocastOptimWrapper', dtype='auto',
    optimizer=dict(type='Adam', lr=1e-4, betas=[0.9, 0.99]))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, gamma=0.5,
         milestones=[125000, 200000, 225000, 240000])]
train_cfg = dict(max_iters=250000, val_interval=5000)
