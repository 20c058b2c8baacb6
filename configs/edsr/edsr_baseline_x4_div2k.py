# EDSR baseline x4 (Lim et al., CVPRW 2017, Sec. 4.1): DIV2K, 48x48 LR
# patches, batch 16, L1, Adam (0.9, 0.999, eps 1e-8), lr 1e-4 halved every
# 2e5 updates; 3e5 updates as in EDSR-PyTorch / BasicSR (the paper fine-tunes
# x4 from x2; the same here, the upsampler's new tensors initialised:
# --cfg-options model.pretrained_generator="dict(path=X2_FILE,
# skip_mismatched=['upsample.'])", any layout, EDSR-PyTorch's included).
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/div2k_lmdb_x4.py',
          '../_base_/schedules/l1_div2k_1e-4_halving.py']

model = dict(generator=dict(type='EDSR', upscale=4))

# the paper's 48x48 LR patches (192x192 HR crops); flips, rotations and
# packing as the data file's pipeline
gt_size = 192
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4),
    *_base_.train_pipeline[1:]]))
train_cfg = dict(max_iters=300000, val_interval=5000)
