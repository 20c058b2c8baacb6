# MSRN x4 (Li et al., ECCV 2018, Sec. 4.1): 8 MSRBs, DIV2K, 16 LR patches of
# 64x64, L1, Adam, lr 1e-4 halved every 200 epochs (2e5 updates at 1000
# updates an epoch, EDSR-PyTorch's epoch); 1e6 updates.
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/div2k_lmdb_x4.py',
          '../_base_/schedules/l1_div2k_1e-4_halving.py']

model = dict(generator=dict(type='MSRN', upscale=4))

# the paper's 64x64 LR patches (256x256 HR crops); flips, rotations and
# packing as the data file's pipeline
gt_size = 256
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4),
    *_base_.train_pipeline[1:]]))
train_cfg = dict(max_iters=1000000, val_interval=5000)
