# Validation and test sets every x4 config shares: Set5 + Set14 vendored in
# data/demo, LR made the benchmarks' way (HR cropped to a multiple of 4,
# MATLAB bicubic x4, 8 bits), PSNR/SSIM on Y with 4 border pixels cropped.
# tools/test.py --test-sets Set5 Set14 BSD68 --data-root DIR swaps the sets.
scale = 4
test_pipeline = [
    dict(type='ModCrop', scale=scale),
    dict(type='BicubicDownsample', scale=scale),
    dict(type='PackSRInputs'),
]
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(type='HRImageDataset', data_root='data/demo',
                 gt_folder=name, scale=scale, pipeline=test_pipeline,
                 test_mode=True) for name in ('Set5', 'Set14')
        ]))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PSNR', crop_border=scale, test_y_channel=True),
    dict(type='SSIM', crop_border=scale, test_y_channel=True),
]
test_evaluator = val_evaluator
