# SRResNet x4, MSE (Ledig et al., CVPR 2017, Sec. 3.2): 16 residual blocks with
# BN, 16 random 96x96 ImageNet HR crops per batch, bicubic x4 LR in [0, 1], HR
# in [-1, 1], Adam beta1 = 0.9, 1e6 updates at lr 1e-4. It initialises SRGAN
# (configs/srgan/srgan_x4.py reads work_dirs/srresnet_x4).
#   python tools/train.py configs/srresnet/srresnet_x4.py
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/imagenet_lmdb_x4.py']

model = dict(
    type='SRModel',
    generator=dict(type='SRResNet', upscale=4, num_feat=64, num_blocks=16),
    pixel_loss=dict(type='MSELoss'),
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[-1.0, 1.0]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=[0.9, 0.999]))
param_scheduler = []
train_cfg = dict(max_iters=1000000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
