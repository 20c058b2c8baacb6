# SRGAN-VGG54 x4 (Ledig et al., CVPR 2017, Table 1): the paper's main model
# under the name of its Table 1 variant, i.e. srgan_x4.py's recipe
# unchanged (kept so the Table 1 names VGG22/VGG54/MSE all have a config).
#   python tools/train.py configs/srgan/srgan_vgg54_x4.py
_base_ = ['./srgan_x4.py']
