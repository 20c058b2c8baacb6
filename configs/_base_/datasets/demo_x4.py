# Demo data vendored in data/demo (see data/demo/README.md): SunHays80
# photographs to train on (random 96x96 HR crops, bicubic x4 LR made on the
# fly with MATLAB's imresize, on the training device), Set5 + Set14 to
# evaluate on (Y, crop 4).
# Training data only: a config lists ./set5_set14_x4_val.py (the evaluation
# and `scale`) beside this file, which inherits nothing.
data_root = 'data/demo'
gt_size = 96

train_pipeline = [
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4),
    # the LR is made from the HR batch on the training device (bit for bit
    # the values the workers would make, docs/benchmarks.md): the workers
    # only crop, flip and pack
    dict(type='BicubicDownsample', scale=4, on_device=True),
    dict(type='RandomFlipRotate'),
    dict(type='PackSRInputs'),
]

train_dataloader = dict(
    batch_size=16,
    # one worker keeps up (images are cached after their first decode) and
    # leaves the second core to the training step
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='HRImageDataset', data_root=data_root,
                 gt_folder='SunHays80', scale=4, cache=True,
                 pipeline=train_pipeline))
