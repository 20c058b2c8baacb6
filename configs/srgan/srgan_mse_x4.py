# SRGAN-MSE x4 (Ledig et al., CVPR 2017, Table 1): MSE content loss (on HR in
# [-1, 1]) plus 10^-3 adversarial loss; no VGG needed.
_base_ = ['./srgan_x4.py']

model = dict(
    pixel_loss=dict(type='MSELoss', loss_weight=1.0),
    perceptual_loss=None)
