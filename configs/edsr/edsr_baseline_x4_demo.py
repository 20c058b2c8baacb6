# EDSR baseline x4 trained briefly on the vendored demo photographs (CPU):
# the data, L1 loss, Adam, cosine schedule and 360-iteration budget of the
# MSRResNet demo (the README's main job), so that model-zoo.md compares the
# two architectures under one recipe. The paper's recipe:
# edsr_baseline_x4_div2k.py.
_base_ = ['../srresnet/msrresnet_x4_demo.py']

model = dict(generator=dict(_delete_=True, type='EDSR', upscale=4))
