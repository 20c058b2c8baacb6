# EDSR baseline x4 trained briefly on the vendored demo photographs (CPU):
# the data, L1 loss, Adam, cosine schedule and 360-iteration budget of the
# MSRResNet demo (configs/_base_/recipes/demo_x4_l1.py), so that model-zoo.md
# compares the architectures under one recipe. The paper's recipe:
# edsr_baseline_x4_div2k.py.
_base_ = ['../_base_/recipes/demo_x4_l1.py']

model = dict(generator=dict(type='EDSR', upscale=4))
