# SRResNet x4 (Ledig et al., CVPR 2017) trained briefly on the vendored
# SunHays80 photographs, evaluated on Set5 and Set14 (Y, crop 4): the x4
# demo recipe (configs/_base_/recipes/demo_x4_l1.py, as msrresnet_x4_demo.py)
# with the paper's network, loss and HR range.
#   python tools/train.py configs/srresnet/srresnet_x4_demo.py
_base_ = ['../_base_/recipes/demo_x4_l1.py']

model = dict(
    # the paper's network: BatchNorm, no global skip
    generator=dict(type='SRResNet', upscale=4, num_feat=64, num_blocks=16),
    # the paper trains SRResNet with MSE, not L1
    pixel_loss=dict(type='MSELoss'),
    # the paper's HR range (tanh-like output in [-1, 1])
    data_preprocessor=dict(gt_range=[-1.0, 1.0]))
