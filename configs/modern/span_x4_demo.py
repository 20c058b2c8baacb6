# SPAN (Wan et al., NTIRE 2024 efficient-SR winner; spandrel's reference
# network), 32 channels, trained with the current recipe
# (../_base_/recipes/modern_x4_demo.py) on the MSRResNet demo's photographs
# and evaluated the same way (Set5/Set14, Y, crop 4), for a wall-clock
# budget instead of a step count. docs/modern_recipe.md has the measured table.
#   python tools/train.py configs/modern/span_x4_demo.py
_base_ = ['../_base_/datasets/set5_set14_x4_val.py',
          '../_base_/datasets/demo_x4.py',
          '../_base_/recipes/modern_x4_demo.py']

model = dict(generator=dict(
    type='SPAN', upscale=4, num_in_ch=3, num_out_ch=3, feature_channels=32,
    # spandrel's default norm=True scales features by 255: outputs start at
    # std ~8 instead of ~0.1, which costs a short run its first steps
    norm=False))

