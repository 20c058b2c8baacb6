# MSRResNet x4 (BasicSR/MMagic's modified SRResNet: no BN, bilinear skip)
# trained briefly on the vendored demo photographs: the x4 demo recipe
# (L1, Adam, cosine schedule, HR in [0, 1]: the BasicSR recipe's loss and
# ranges with the demo's budget; configs/_base_/recipes/demo_x4_l1.py).
# The README's main job:
#   python tools/train.py configs/srresnet/msrresnet_x4_demo.py
_base_ = ['../_base_/recipes/demo_x4_l1.py']

model = dict(generator=dict(type='MSRResNet', upscale=4))
