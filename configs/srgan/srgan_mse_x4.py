# SRGAN-MSE x4 (Ledig et al., CVPR 2017, Table 1): srgan_x4.py with the MSE
# content loss (on HR in [-1, 1]) in place of the VGG54 loss, plus 10^-3
# adversarial loss; no VGG needed.
_base_ = ['./srgan_x4.py']

model = dict(
    # l_MSE on HR in [-1, 1] as the content loss, in place of l_VGG/5.4
    pixel_loss=dict(type='MSELoss', loss_weight=1.0),
    perceptual_loss=None)
