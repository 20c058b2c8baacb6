# RCAN x4 trained briefly on the vendored demo photographs (CPU): the paper's
# L1 loss and Adam, with the demo's data and 360-iteration budget (RCAN is
# much heavier than SRResNet on a CPU).
_base_ = ['../edsr/edsr_baseline_x4_demo.py']

model = dict(generator=dict(_delete_=True, type='RCAN', upscale=4))
