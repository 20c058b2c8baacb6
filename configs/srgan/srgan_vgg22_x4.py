# SRGAN-VGG22 x4 (Ledig et al., CVPR 2017, Table 1): srgan_x4.py (VGG54)
# with the content loss on lower-level features: l_VGG/2.2, the MSE of
# phi_2,2 (VGG19 after the ReLU of conv2_2), features rescaled by 1/12.75
# like every VGG loss of the paper (Sec. 3.2), plus 10^-3 adversarial loss.
_base_ = ['./srgan_x4.py']

model = dict(
    # l_VGG/2.2 in place of l_VGG/5.4: phi_2,2 replaces phi_5,4
    perceptual_loss=dict(layer_weights=dict(_delete_=True, relu2_2=1.0)))
