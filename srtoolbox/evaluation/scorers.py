"""Per-image metric functions by name, for tools and hooks that measure
numpy images outside an mmengine evaluator.

    funcs, skipped = metric_functions(['PSNR', 'SSIM', 'NIQE', 'LPIPS'],
                                      crop_border=4, test_y_channel=True)
    values = {name: f(sr, gt) for name, f in funcs.items()}

Each function takes ``(sr, gt)``, HWC RGB uint8 arrays of the same size
(NIQE ignores ``gt``). LPIPS (AlexNet) without its weight files is not in
``funcs`` but in ``skipped``, as ``{'LPIPS': one line saying why}``.
"""
__all__ = ['metric_functions', 'IMAGE_METRICS', 'LOWER_IS_BETTER']

IMAGE_METRICS = ('PSNR', 'SSIM', 'NIQE', 'LPIPS')
LOWER_IS_BETTER = ('NIQE', 'LPIPS', 'DISTS')


def metric_functions(names, crop_border=0, test_y_channel=True):
    """``({name: f(sr, gt) -> float}, {name: reason skipped})``.

    Raises:
        ValueError: an unknown name, or no name at all.
    """
    from .functional import calculate_psnr, calculate_ssim
    from .niqe import calculate_niqe
    names = list(names)
    unknown = [n for n in names if n not in IMAGE_METRICS]
    if unknown or not names:
        raise ValueError(f'unknown metric(s) {", ".join(unknown) or "(none)"}'
                         f'; choose from {", ".join(IMAGE_METRICS)}')
    funcs, skipped = {}, {}
    for name in names:
        if name == 'PSNR':
            funcs[name] = lambda sr, gt: calculate_psnr(
                sr, gt, crop_border, test_y_channel)
        elif name == 'SSIM':
            funcs[name] = lambda sr, gt: calculate_ssim(
                sr, gt, crop_border, test_y_channel)
        elif name == 'NIQE':
            funcs[name] = lambda sr, gt: calculate_niqe(sr, crop_border)
        else:
            from .lpips import calculate_lpips, lpips_unavailable_reason
            reason = lpips_unavailable_reason('alex')
            if reason:
                skipped[name] = reason
            else:
                funcs[name] = lambda sr, gt: calculate_lpips(sr, gt,
                                                             crop_border)
    return funcs, skipped
