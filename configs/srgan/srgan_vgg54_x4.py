# SRGAN-VGG54 x4 (Ledig et al., CVPR 2017, Table 1): the paper's main model,
# the same recipe as srgan_x4.py under the name of its Table 1 variant.
_base_ = ['./srgan_x4.py']
