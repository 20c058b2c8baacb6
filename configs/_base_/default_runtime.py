# Runtime shared by every config: mmengine hooks, logging, checkpoints.
default_scope = 'srtoolbox'

default_hooks = dict(
    # iteration times kept until the logger reads them (no per-iteration
    # message hub writes; srtoolbox/engine/deferred_logging.py)
    timer=dict(type='DeferredIterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # atomic writes, old checkpoints removed after the new one is on disk,
    # random generator states for an exact --resume
    checkpoint=dict(
        type='ResumableCheckpointHook',
        interval=5000,
        by_epoch=False,
        max_keep_ckpts=3,
        save_best='auto',  # the first metric of the evaluator (PSNR)
        # None: inferred from the metric (PSNR/SSIM greater; LPIPS, DISTS,
        # NIQE less), so save_best='Set5/LPIPS' alone keeps the lowest
        rule=None),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [dict(type='SRVisualizationHook', num_images=3)]

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # gloo on CPU-only machines (launch.py)
)
log_processor = dict(type='LogProcessor', window_size=100, by_epoch=False)
log_level = 'INFO'
# the environment, config and hook tables go to the log file only
log_tables_to_console = False
# True (or tools/train.py --tensorboard) also logs losses, learning rate,
# validation metrics and images to TensorBoard: pip install -e '.[tensorboard]'
tensorboard = False
load_from = None
resume = False
randomness = dict(seed=0)

# IterBasedTrainLoop whose --resume restarts the data where it stopped
# instead of re-loading every batch already trained on
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=1000000,
                 val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
