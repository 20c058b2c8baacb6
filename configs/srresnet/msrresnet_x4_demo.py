# MSRResNet x4 (BasicSR/MMagic's modified SRResNet: no BN, bilinear skip)
# trained briefly on the vendored demo photographs: L1, Adam, cosine schedule,
# HR in [0, 1] (the BasicSR recipe's loss and ranges with the demo's budget).
_base_ = ['./srresnet_x4_demo.py']

model = dict(
    generator=dict(_delete_=True, type='MSRResNet', upscale=4),
    pixel_loss=dict(_delete_=True, type='L1Loss'),
    data_preprocessor=dict(gt_range=[0.0, 1.0]))
