# DIV2K x4 for ESRGAN/EDSR/RCAN-style recipes (as BasicSR prepares it):
# the 800 DIV2K training images cut into 480x480 sub-images (step 240), with
# the official bicubic x4 LR cut to match, both in LMDBs; random 128x128 HR
# crops with flips and rotations. Evaluated on Set5 + Set14 (Y, crop 4): a
# config lists ./set5_set14_x4_val.py (the evaluation and `scale`) beside
# this file, which inherits nothing.
gt_size = 128

# Storage: LMDBs by default (tools/create_lmdb.py, PNG values as BasicSR's
# or --codec raw: faster to read, larger), detected from the path (a folder
# holding data.mdb is an LMDB), so pointing the dataset at folders of images
# is the only switch needed:
#   --cfg-options train_dataloader.dataset.gt_folder=DIV2K_train_HR_sub \
#       train_dataloader.dataset.lq_folder=DIV2K_train_LR_bicubic_X4_sub
# HR only, LR made on the fly: replace the dataset by HRImageDataset and
# add dict(type='BicubicDownsample', scale=4) after the crop.
backend_args = None  # or dict(backend='lmdb', ...lmdb.open kwargs) to force
train_data_root = 'data/DIV2K'
train_gt_folder = 'DIV2K_train_HR_sub.lmdb'  # relative to train_data_root
train_lq_folder = 'DIV2K_train_LR_bicubic_X4_sub.lmdb'

data_preparation = (
    'DIV2K sub-image LMDBs, from DIV2K_train_HR and '
    'DIV2K_train_LR_bicubic/X4 (https://data.vision.ee.ethz.ch/cvl/DIV2K/) '
    'unpacked in data/DIV2K:\n'
    '  python tools/extract_subimages.py --input data/DIV2K/DIV2K_train_HR '
    '--output data/DIV2K/DIV2K_train_HR_sub --crop-size 480 --step 240\n'
    '  python tools/extract_subimages.py --input '
    'data/DIV2K/DIV2K_train_LR_bicubic/X4 --output '
    'data/DIV2K/DIV2K_train_LR_bicubic_X4_sub --crop-size 480 --step 240 '
    '--scale 4 --lq-suffix x4\n'
    '  python tools/create_lmdb.py --input data/DIV2K/DIV2K_train_HR_sub '
    '--output data/DIV2K/DIV2K_train_HR_sub.lmdb --lq '
    'data/DIV2K/DIV2K_train_LR_bicubic_X4_sub --lq-output '
    'data/DIV2K/DIV2K_train_LR_bicubic_X4_sub.lmdb --scale 4 --verify\n'
    'Set5 and Set14 for validation are vendored in data/demo.')

train_pipeline = [
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4),
    dict(type='RandomFlipRotate'),
    dict(type='PackSRInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='PairedImageDataset', data_root=train_data_root,
                 gt_folder=train_gt_folder, lq_folder=train_lq_folder,
                 backend_args=backend_args, scale=4,
                 pipeline=train_pipeline))
