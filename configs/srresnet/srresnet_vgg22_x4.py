# SRResNet-VGG22 x4 (Ledig et al., CVPR 2017, Table 1): SRResNet trained with
# the VGG22 content loss alone (no discriminator), 1e6 iterations at 1e-4 as
# the paper's SRResNets; everything else is srresnet_x4.py's.
#   python tools/train.py configs/srresnet/srresnet_vgg22_x4.py
_base_ = ['./srresnet_x4.py']

# the content loss is the paper's VGG22 instead of MSE: MSE of phi_2,2
# features rescaled by 1/12.75 (Sec. 3.2); SRModel takes any loss of
# (output, HR), so it is the content loss (logged as loss_pix)
model = dict(pixel_loss=dict(
    type='PerceptualLoss', layer_weights={'relu2_2': 1.0}, criterion='mse',
    feature_scale=1 / 12.75, input_range=(-1.0, 1.0),
    pretrained='torchvision'))

# the VGG loss needs the torchvision VGG19 weights as a local file
data_preparation = _base_.data_preparation + (
    '\n'
    'VGG19: download https://download.pytorch.org/models/'
    'vgg19-dcbb9e9d.pth on a machine with network and copy it to '
    '$TORCH_HOME/hub/checkpoints/ (default ~/.cache/torch/hub/checkpoints/), '
    'or set model.pixel_loss.pretrained=/path/to/vgg19-dcbb9e9d.pth.')
