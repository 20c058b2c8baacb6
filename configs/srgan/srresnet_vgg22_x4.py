# SRResNet-VGG22 x4 (Ledig et al., CVPR 2017, Table 1): SRResNet trained with
# the VGG22 content loss alone (no discriminator), 1e6 iterations at 1e-4 as
# the paper's SRResNets. SRModel takes any loss of (output, HR), so the VGG
# loss is its content loss (logged as loss_pix).
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/imagenet_lmdb_x4.py']

model = dict(
    type='SRModel',
    generator=dict(type='SRResNet', upscale=4, num_feat=64, num_blocks=16),
    # MSE of phi_2,2 features rescaled by 1/12.75 (Sec. 3.2)
    pixel_loss=dict(
        type='PerceptualLoss', layer_weights={'relu2_2': 1.0},
        criterion='mse', feature_scale=1 / 12.75, input_range=(-1.0, 1.0),
        pretrained='torchvision'),
    data_preprocessor=dict(type='SRDataPreprocessor',
                           gt_range=(-1.0, 1.0)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)))
param_scheduler = []
train_cfg = dict(max_iters=1000000, val_interval=5000)

data_preparation = _base_.data_preparation + (
    '\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.pixel_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
