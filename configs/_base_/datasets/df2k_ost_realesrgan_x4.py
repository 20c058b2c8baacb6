# Real-ESRGAN's training data and degradation model, shared by the
# configs in configs/realesrgan/ (released options/train_realesrnet_x4plus.yml and
# train_realesrgan_x4plus.yml use the same): DF2K multi-scale + OST
# sub-images, GT crops of 256, kernels drawn in the dataset, the
# second-order degradation run by the model.
gt_size = 256  # x4 (scale 4 comes from the validation base)
train_data_root = 'data/DF2K_OST'
train_gt_folder = 'DF2K_OST_multiscale_sub'  # folder (recursive) or LMDB

# the degradation model (SecondOrderDegradation's defaults are the same
# released values; written out so that the recipe reads here)
degradation = dict(
    type='SecondOrderDegradation', scale=4, gt_size=gt_size,
    usm_sharp=True,
    # first degradation
    resize_prob=[0.2, 0.7, 0.1],  # up, down, keep
    resize_range=[0.15, 1.5],
    gaussian_noise_prob=0.5, noise_range=[1, 30],
    poisson_scale_range=[0.05, 3], gray_noise_prob=0.4,
    jpeg_range=[30, 95],
    # second degradation
    second_blur_prob=0.8,
    resize_prob2=[0.3, 0.4, 0.3],
    resize_range2=[0.3, 1.2],
    gaussian_noise_prob2=0.5, noise_range2=[1, 25],
    poisson_scale_range2=[0.05, 2.5], gray_noise_prob2=0.4,
    jpeg_range2=[30, 95],
    # [resize back + sinc, JPEG] or [JPEG, resize back + sinc]
    final_sinc_first_prob=0.5,
    resize_modes=['area', 'bilinear', 'bicubic'])

kernel_list = ['iso', 'aniso', 'generalized_iso', 'generalized_aniso',
               'plateau_iso', 'plateau_aniso']
kernel_prob = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03]
kernel_sizes = [7, 9, 11, 13, 15, 17, 19, 21]

train_dataloader = dict(
    batch_size=12,  # per GPU; the authors trained on 4 GPUs (48 in all)
    num_workers=5,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='RealESRGANDataset', data_root=train_data_root,
        gt_folder=train_gt_folder, scale=4, gt_size=gt_size,
        crop_pad_size=400, use_hflip=True, use_rot=False,
        first_kernel=dict(kernel_list=kernel_list, kernel_prob=kernel_prob,
                          sinc_prob=0.1, blur_sigma=[0.2, 3],
                          betag_range=[0.5, 4], betap_range=[1, 2],
                          kernel_sizes=kernel_sizes),
        second_kernel=dict(kernel_list=kernel_list, kernel_prob=kernel_prob,
                           sinc_prob=0.1, blur_sigma=[0.2, 1.5],
                           betag_range=[0.5, 4], betap_range=[1, 2],
                           kernel_sizes=kernel_sizes),
        final_sinc=dict(prob=0.8, kernel_sizes=kernel_sizes)))

data_preparation = (
    'DF2K (DIV2K + Flickr2K) with multi-scale GT, and OST, as Real-ESRGAN '
    "(docs/Training.md of xinntao/Real-ESRGAN). HR images only:\n"
    '  DIV2K: http://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_train_HR.zip\n'
    '  Flickr2K: https://cv.snu.ac.kr/research/EDSR/Flickr2K.tar\n'
    '  OST: https://openmmlab.oss-cn-hangzhou.aliyuncs.com/datasets/'
    'OST_dataset.zip\n'
    'Put the DIV2K and Flickr2K HR images in data/DF2K_OST/DF2K_HR, make '
    'the multi-scale copies (LANCZOS x0.75, x0.5, x1/3 and shortest edge '
    '400: scripts/generate_multiscale_DF2K.py of Real-ESRGAN) in '
    'data/DF2K_OST/DF2K_multiscale, then cut everything (DF2K_HR, '
    'DF2K_multiscale and the OST images) into 400x400 sub-images:\n'
    '  python tools/extract_subimages.py --input data/DF2K_OST/DF2K_HR '
    '--output data/DF2K_OST/DF2K_OST_multiscale_sub/DF2K --crop-size 400 '
    '--step 200\n'
    '  python tools/extract_subimages.py --input '
    'data/DF2K_OST/DF2K_multiscale --output '
    'data/DF2K_OST/DF2K_OST_multiscale_sub/DF2K_multiscale --crop-size 400 '
    '--step 200\n'
    '  python tools/extract_subimages.py --input data/DF2K_OST/OST --output '
    'data/DF2K_OST/DF2K_OST_multiscale_sub/OST --crop-size 400 --step 200\n'
    '(optionally one LMDB: python tools/create_lmdb.py --input '
    'data/DF2K_OST/DF2K_OST_multiscale_sub --output '
    'data/DF2K_OST/DF2K_OST_multiscale_sub.lmdb, then set '
    'train_gt_folder).\n'
    'Set5/Set14 for validation are vendored in data/demo.')
