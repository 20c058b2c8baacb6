# What every full-scale GAN recipe (SRGAN, MSRGAN, ESRGAN, Real-ESRGAN) adds
# to ./default_runtime.py: one Adam per network and one DDP per network. A
# GAN config lists both files and adds its data, model, schedule, where its
# recipe differs the Adam betas, and its best checkpoint by a perceptual
# metric (PSNR ranks a GAN's sharpest checkpoints last): the PerceptualBest
# evaluator, `val_evaluator = _base_.val_evaluator + [...]` (the evaluators
# come with the data), and the rule that reads it, `default_hooks =
# dict(checkpoint=dict(save_best='perceptual', rule='less'))` (default_hooks
# is default_runtime.py's, and mmengine refuses a key in two _base_ files).

# one Adam per network at 1e-4 (beta1 = 0.9); --amp switches both wrappers
# to autocast
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4,
                                      betas=(0.9, 0.999))))

# one DDP per network; BatchNorm running statistics stay per process (see
# srtoolbox/models/gan_model.py)
model_wrapper_cfg = dict(type='SRDistributedDataParallel',
                         broadcast_buffers=False)
