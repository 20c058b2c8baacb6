# The runtime every full-scale GAN recipe shares (SRGAN, MSRGAN, ESRGAN,
# Real-ESRGAN): the default runtime plus one Adam per network, one DDP per
# network, and the best checkpoint chosen by a perceptual metric. A GAN
# config adds its data, model, schedule, the PerceptualBest evaluator
# (`val_evaluator = _base_.val_evaluator + [...]`: the evaluators come with
# the data) and, where its recipe differs, the Adam betas.
_base_ = ['./default_runtime.py']

# one Adam per network at 1e-4 (beta1 = 0.9); --amp switches both wrappers
# to autocast
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4,
                                      betas=(0.9, 0.999))))

# best checkpoint by a perceptual metric, lower is better (PSNR ranks a
# GAN's sharpest checkpoints last): LPIPS where its weights are present,
# else NIQE; the log says which
default_hooks = dict(checkpoint=dict(save_best='perceptual', rule='less'))

# one DDP per network; BatchNorm running statistics stay per process (see
# srtoolbox/models/gan_model.py)
model_wrapper_cfg = dict(type='SRDistributedDataParallel',
                         broadcast_buffers=False)
