# ImageNet for SRGAN x4 (Ledig et al., CVPR 2017, Sec. 3.2): random 96x96 HR
# crops of ImageNet photographs, LR made on the fly with MATLAB-style bicubic
# x4; evaluated on Set5 + Set14 (Y channel, crop 4) from data/demo: a config
# lists ./set5_set14_x4_val.py (the evaluation and `scale`) beside this
# file, which inherits nothing.
gt_size = 96

# Storage of the training images: an LMDB made by tools/create_lmdb.py
# (--codec raw reads whole photographs 9-14x faster than PNG values, at the
# uncompressed size: docs/benchmarks.md).
# The storage is detected from the path (a folder holding data.mdb is an
# LMDB), so one option switches to a folder of images:
#   --cfg-options train_dataloader.dataset.gt_folder=/path/to/ILSVRC2012/train
backend_args = None  # or dict(backend='lmdb', ...lmdb.open kwargs) to force
train_data_root = 'data/imagenet'
train_gt_folder = 'train_hr.lmdb'  # relative to train_data_root

data_preparation = (
    'ImageNet HR LMDB (SRGAN trained on 350 thousand random ImageNet '
    'images):\n'
    '  mkdir -p data/imagenet/train_350k\n'
    "  find /path/to/ILSVRC2012/train -name '*.JPEG' | shuf -n 350000 "
    '--random-source=<(yes) | xargs ln -s -t data/imagenet/train_350k\n'
    '  python tools/create_lmdb.py --input data/imagenet/train_350k '
    '--output data/imagenet/train_hr.lmdb --workers 8\n'
    '(or train from the folder itself: --cfg-options '
    'train_dataloader.dataset.gt_folder=/path/to/folder). Set5 and Set14 '
    'for validation are vendored in data/demo.')

train_pipeline = [
    # ImageNet has a few images under 96 pixels a side: draw another one
    dict(type='PairedRandomCrop', gt_size=gt_size, scale=4,
         small_image='skip'),
    # the LR is made from the HR batch on the training device (bit for bit
    # the values the workers would make, docs/benchmarks.md): the workers
    # only crop, flip and pack
    dict(type='BicubicDownsample', scale=4, on_device=True),
    dict(type='PackSRInputs'),  # the paper mentions no flips or rotations
]

train_dataloader = dict(
    batch_size=16,  # the paper's 16 crops per mini-batch
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='HRImageDataset', data_root=train_data_root,
                 gt_folder=train_gt_folder, backend_args=backend_args,
                 scale=4, pipeline=train_pipeline))
