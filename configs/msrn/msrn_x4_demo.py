# MSRN x4 trained briefly on the vendored demo photographs (CPU): the x4
# demo recipe every demo shares (configs/_base_/recipes/demo_x4_l1.py: the
# paper's L1 loss and Adam, the demo data and 360-iteration budget; MSRN is
# much heavier than SRResNet on a CPU). The paper's recipe: msrn_x4_div2k.py.
_base_ = ['../_base_/recipes/demo_x4_l1.py']

model = dict(generator=dict(type='MSRN', upscale=4))
