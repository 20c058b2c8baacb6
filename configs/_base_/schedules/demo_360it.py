# The CPU demos' optimiser, shared by every x4 demo so that model-zoo.md
# compares architectures under one recipe: Adam 5e-4 annealed to 1e-6 over
# 360 iterations (the papers' 1e5-1e6 iterations at 1e-4 take weeks on a
# CPU). ../recipes/demo_x4_l1.py sets train_cfg.max_iters=360: train_cfg is
# default_runtime.py's, and mmengine refuses a key in two _base_ files, so
# the recipe, which lists both, overrides it.

# autocast where the hardware computes bf16 natively (AVX-512 BF16/AMX CPUs,
# Ampere+ GPUs); fp32 elsewhere, where emulated bf16 is far slower
optim_wrapper = dict(
    type='AutocastOptimWrapper', dtype='auto',
    optimizer=dict(type='Adam', lr=5e-4, betas=[0.9, 0.999]))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, T_max=360, eta_min=1e-6)]
