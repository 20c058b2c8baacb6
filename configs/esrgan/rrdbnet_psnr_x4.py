# RRDBNet x4, the PSNR-oriented stage of ESRGAN (Wang et al., "ESRGAN:
# Enhanced Super-Resolution Generative Adversarial Networks", ECCVW 2018,
# Sec. 4.1): L1 loss, Adam (0.9, 0.999), lr 2e-4 halved every 2e5 updates,
# batch 16 of 128x128 HR crops. 1e6 iterations as BasicSR's
# train_RRDBNet_PSNR_x4.yml (which uses cosine restarts and beta2 0.99
# instead of the paper's step decay). DIV2K only (the paper adds Flickr2K
# and OST).
#   python tools/train.py configs/esrgan/rrdbnet_psnr_x4.py
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/div2k_lmdb_x4.py']

model = dict(
    type='SRModel',
    generator=dict(type='RRDBNet', upscale=4, num_feat=64, num_blocks=23,
                   num_grow_ch=32),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0),
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=(0.0, 1.0)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.999)))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False,
         milestones=[200000, 400000, 600000, 800000], gamma=0.5)
]
train_cfg = dict(max_iters=1000000, val_interval=5000)
