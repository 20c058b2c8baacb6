# RealESRNet x4plus (Wang et al., "Real-ESRGAN: Training Real-World Blind
# Super-Resolution with Pure Synthetic Data", ICCVW 2021): RRDBNet trained
# with L1 on LR images synthesised by the second-order degradation model,
# every option as the released options/train_realesrnet_x4plus.yml:
# DF2K (multi-scale) + OST, GT 256, batch 12 per GPU x 4 GPUs, Adam 2e-4
# (0.9, 0.99), 1M iterations (halved at 1M: constant), EMA 0.999, USM GT,
# pair pool of 180, from ESRGAN's DF2K+OST model.
#   tools/dist_train.sh configs/realesrgan/realesrnet_x4plus.py 4
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/df2k_ost_realesrgan_x4.py']

# ESRGAN's DF2K+OST weights (BasicSR layout, params_ema), or a work dir
pretrained_generator = \
    'data/pretrained/ESRGAN_SRx4_DF2KOST_official-ff704c30.pth'

model = dict(
    type='RealESRNet',
    generator=dict(type='RRDBNet', upscale=4, num_feat=64, num_blocks=23,
                   num_grow_ch=32),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0),
    degradation={{_base_.degradation}},
    queue_size=180,
    gt_usm=True,
    ema_decay=0.999,
    pretrained_generator=pretrained_generator,
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, betas=[0.9, 0.99],
                   weight_decay=0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1000000],
         gamma=0.5)]
train_cfg = dict(max_iters=1000000, val_interval=5000)
default_hooks = dict(checkpoint=dict(interval=5000))
# the model's own train_step (the degradation step) must run under DDP
model_wrapper_cfg = dict(type='SRDistributedDataParallel')

data_preparation = _base_.data_preparation + (
    '\nESRGAN weights to start from: '
    'https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.1/'
    'ESRGAN_SRx4_DF2KOST_official-ff704c30.pth into data/pretrained/ (or '
    '--cfg-options model.pretrained_generator=PATH).')
