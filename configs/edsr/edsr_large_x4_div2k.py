# EDSR (large: 32 blocks x 256 features, residual scaling 0.1) x4 (Lim et al.,
# CVPRW 2017): the baseline's recipe (DIV2K, 48x48 LR patches, batch 16, L1,
# Adam (0.9, 0.999, eps 1e-8), lr 1e-4 halved every 2e5 updates, 3e5 updates).
_base_ = ['./edsr_baseline_x4_div2k.py']

# the paper's large network; everything else is the baseline's recipe
model = dict(generator=dict(type='EDSRLarge'))
