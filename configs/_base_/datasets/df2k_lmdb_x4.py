# DF2K x4 (DIV2K's 800 + Flickr2K's 2650 training images) for HAT/SPAN-style
# recipes: sub-image LMDBs cut and stored as the DIV2K ones
# (div2k_lmdb_x4.py), random 256x256 HR crops (64x64 LR) with flips and
# rotations. Evaluated on Set5 + Set14 (Y, crop 4): a config lists
# ./set5_set14_x4_val.py (the evaluation and `scale`) beside this file,
# which inherits nothing.
gt_size = 256

data_preparation = (
    'DF2K sub-image LMDBs in data/DF2K: put the DIV2K and Flickr2K HR '
    'images (https://cv.snu.ac.kr/research/EDSR/Flickr2K.tar) in '
    'data/DF2K/DF2K_HR and their bicubic x4 LR in data/DF2K/DF2K_bicx4, '
    'then cut and store them as for DIV2K:\n'
    '  python tools/extract_subimages.py --input data/DF2K/DF2K_HR --output '
    'data/DF2K/DF2K_HR_sub --crop-size 480 --step 240\n'
    '  python tools/extract_subimages.py --input data/DF2K/DF2K_bicx4 '
    '--output data/DF2K/DF2K_bicx4_sub --crop-size 480 --step 240 --scale 4 '
    '--lq-suffix x4\n'
    '  python tools/create_lmdb.py --input data/DF2K/DF2K_HR_sub --output '
    'data/DF2K/DF2K_HR_sub.lmdb --lq data/DF2K/DF2K_bicx4_sub --lq-output '
    'data/DF2K/DF2K_bicx4_sub.lmdb --scale 4 --verify\n'
    'Set5 and Set14 for validation are vendored in data/demo.')

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='PairedImageDataset', data_root='data/DF2K',
                 gt_folder='DF2K_HR_sub.lmdb', lq_folder='DF2K_bicx4_sub.lmdb',
                 backend_args=None, scale=4, pipeline=[
                     dict(type='PairedRandomCrop', gt_size=gt_size,
                          scale=4),
                     dict(type='RandomFlipRotate'),
                     dict(type='PackSRInputs'),
                 ]))
