# The PSNR-oriented DIV2K recipe EDSR, RCAN and MSRN share: SRModel with an
# L1 loss on HR in [0, 1], Adam (0.9, 0.999, eps 1e-8) at 1e-4, halved every
# 2e5 updates. A config adds its generator, its patch size and its length
# (train_cfg, which the runtime base already holds).
model = dict(
    type='SRModel',
    pixel_loss=dict(type='L1Loss'),
    data_preprocessor=dict(type='SRDataPreprocessor', gt_range=[0.0, 1.0]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=[0.9, 0.999], eps=1e-8))
param_scheduler = [
    dict(type='StepLR', by_epoch=False, step_size=200000, gamma=0.5)]
