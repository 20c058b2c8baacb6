# PLKSR (Lee et al. 2024, partial large-kernel CNN; traiNNer-redux's
# RealPLKSR is its sibling), 32 channels, 8 blocks, with the current recipe
# (../_base_/recipes/modern_x4_demo.py). Its tail adds the LR image repeated
# to every sub-pixel (a nearest-neighbour skip), so a short run starts near
# nearest upscaling instead of from noise, and a step costs ~0.2 of
# MSRResNet's on this CPU. docs/modern_recipe.md has the measured table.
#   python tools/train.py configs/modern/plksr_x4_demo.py
_base_ = ['../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/demo_x4.py',
          '../_base_/recipes/modern_x4_demo.py']

model = dict(generator=dict(type='PLKSR', upscaling_factor=4, dim=32,
                            n_blocks=8))

