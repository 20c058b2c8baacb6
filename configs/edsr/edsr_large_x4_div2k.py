# EDSR (large: 32 blocks x 256 features, residual scaling 0.1) x4 (Lim et al.,
# CVPRW 2017): the baseline's recipe (DIV2K, 48x48 LR patches, batch 16, L1,
# lr 1e-4 halved every 2e5 updates, 3e5 updates).
_base_ = ['./edsr_baseline_x4_div2k.py']

model = dict(generator=dict(_delete_=True, type='EDSRLarge', upscale=4))
