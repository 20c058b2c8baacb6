# Lightweight SwinIR x4 (Liang et al., ICCVW 2021) trained briefly on the
# vendored demo photographs on a CPU: the paper's network (spandrel's SwinIR:
# 4 RSTBs x 6 layers, 60 channels, window 8, pixelshuffledirect upsampler)
# with the x4 demo recipe (configs/_base_/recipes/demo_x4_l1.py), cut to fit
# ~15 minutes on the shared 2-core CPU (window attention makes a SwinIR step
# many times an MSRResNet one). Enough to see it learn, far from the paper's
# 500k iterations. The paper's recipe: swinir_lightweight_x4_div2k.py.
#   python tools/train.py configs/swinir/swinir_lightweight_x4_demo.py
_base_ = ['../_base_/recipes/demo_x4_l1.py']

# the paper's lightweight network at the demo's 16x16 LR crops
model = dict(generator=dict(
    type='SwinIR', upscale=4, in_chans=3, img_size=16, window_size=8,
    img_range=1., depths=[6, 6, 6, 6], embed_dim=60, num_heads=[6, 6, 6, 6],
    mlp_ratio=2, upsampler='pixelshuffledirect', resi_connection='1conv'))

# KAIR's betas (0.9, 0.99)
optim_wrapper = dict(optimizer=dict(betas=[0.9, 0.99]))

# 60 iterations of 8 crops of 64x64 HR (16x16 LR: two windows a side); the
# rest of the demo data's pipeline (bicubic LR, flips, packing) unchanged
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=[
    dict(type='PairedRandomCrop', gt_size=64, scale=4),
    *_base_.train_pipeline[1:]]))
train_cfg = dict(max_iters=60, val_interval=60)
# the learning rate annealed to (nearly) zero over the shorter run
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, T_max=60, eta_min=1e-6)]
# logs, the checkpoint and its .safetensors at the shorter run's end
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=60, max_keep_ckpts=2, save_safetensors=True))
