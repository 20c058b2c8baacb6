"""Blur kernels of Real-ESRGAN's degradation model (Wang et al., ICCVW 2021,
Sec. 3.1), and their random draws.

Every kernel is a ``(K, K)`` float64 array that sums to one, K odd, centred
on pixel ``(K // 2, K // 2)``. With the same parameters each generator gives
BasicSR 1.4.2's kernel (``basicsr/data/degradations.py``) to 1e-6:

* bivariate Gaussian ``exp(-1/2 x^T S^-1 x)``, S = R diag(sx^2, sy^2) R^T
  (isotropic: sy = sx, theta = 0);
* generalized Gaussian ``exp(-1/2 (x^T S^-1 x)^beta)``;
* plateau ``1 / (1 + (x^T S^-1 x)^beta)``;
* the 2-D sinc (circular low-pass) ``wc J1(wc r) / (2 pi r)``, centre
  ``wc^2 / (4 pi)``.

The random draws use Python's ``random`` and numpy's global generator, which
srtoolbox's resumable sampler seeds per sample (whatever the number of
loader workers).
"""
import math
import random
from typing import Any, Optional, Sequence, Tuple

import numpy as np
import torch

from ..registry import DEGRADATIONS
from .errors import (DegradationConfigError, check_kernel_sizes, check_prob,
                     check_probs, check_range)

__all__ = [
    'KERNEL_TYPES', 'mesh_grid', 'sigma_matrix', 'bivariate_gaussian',
    'bivariate_generalized_gaussian', 'bivariate_plateau',
    'circular_lowpass_kernel', 'pulse_kernel', 'random_mixed_kernel',
    'BlurKernelSampler', 'FinalSincSampler'
]

KERNEL_TYPES = ('iso', 'aniso', 'generalized_iso', 'generalized_aniso',
                'plateau_iso', 'plateau_aniso')


def mesh_grid(kernel_size: int) -> Any:
    """``(K, K, 2)`` coordinates (x, y) of each tap, centre at (0, 0)."""
    ax = np.arange(-(kernel_size // 2), kernel_size // 2 + 1, dtype=np.float64)
    xx, yy = np.meshgrid(ax, ax)
    return np.stack([xx, yy], axis=-1)


def sigma_matrix(sigma_x: Any, sigma_y: Any, theta: Any) -> Any:
    """Covariance ``R(theta) diag(sx^2, sy^2) R(theta)^T`` (theta in rad)."""
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    return rot @ np.diag([sigma_x**2, sigma_y**2]) @ rot.T


def _quadratic_form(kernel_size, sigma_x, sigma_y, theta, isotropic):
    """x^T S^-1 x at every tap."""
    if isotropic:
        sigma_y, theta = sigma_x, 0.0
    inv = np.linalg.inv(sigma_matrix(sigma_x, sigma_y, theta))
    grid = mesh_grid(kernel_size)
    return np.einsum('hwi,ij,hwj->hw', grid, inv, grid)


def _normalise(kernel):
    return kernel / np.sum(kernel)


def bivariate_gaussian(kernel_size: int, sigma_x: Any,
                       sigma_y: Optional[Any] = None, theta: float = 0.0,
                       isotropic: bool = True) -> Any:
    """Normalised (an)isotropic Gaussian; ``sigma_y``/``theta`` ignored when
    ``isotropic``."""
    q = _quadratic_form(kernel_size, sigma_x, sigma_y, theta, isotropic)
    return _normalise(np.exp(-0.5 * q))


def bivariate_generalized_gaussian(kernel_size: int, sigma_x: Any,
                                   sigma_y: Optional[Any] = None,
                                   theta: float = 0.0, beta: float = 1.0,
                                   isotropic: bool = True) -> Any:
    """Normalised generalized Gaussian; beta = 1 is the Gaussian."""
    q = _quadratic_form(kernel_size, sigma_x, sigma_y, theta, isotropic)
    return _normalise(np.exp(-0.5 * np.power(q, beta)))


def bivariate_plateau(kernel_size: int, sigma_x: Any,
                      sigma_y: Optional[Any] = None, theta: float = 0.0,
                      beta: float = 1.0, isotropic: bool = True) -> Any:
    """Normalised plateau-shaped kernel ``1 / (1 + q^beta)``."""
    q = _quadratic_form(kernel_size, sigma_x, sigma_y, theta, isotropic)
    return _normalise(1.0 / (np.power(q, beta) + 1))


def circular_lowpass_kernel(cutoff: Any, kernel_size: int,
                            pad_to: int = 0) -> Any:
    """The 2-D sinc filter: an ideal circular low-pass of cutoff ``cutoff``
    (radians, pi is the Nyquist frequency), zero-padded to ``pad_to``."""
    if kernel_size % 2 == 0:
        raise DegradationConfigError(
            f'sinc kernel size must be odd, got {kernel_size}')
    grid = mesh_grid(kernel_size)
    r = np.sqrt((grid**2).sum(-1))
    centre = kernel_size // 2
    r[centre, centre] = 1.0  # replaced below; avoids 0/0
    j1 = torch.special.bessel_j1(torch.from_numpy(cutoff * r)).numpy()
    kernel = cutoff * j1 / (2 * np.pi * r)
    kernel[centre, centre] = cutoff**2 / (4 * np.pi)
    kernel = _normalise(kernel)
    if pad_to > kernel_size:
        pad = (pad_to - kernel_size) // 2
        kernel = np.pad(kernel, ((pad, pad), (pad, pad)))
    return kernel


def pulse_kernel(kernel_size: int) -> Any:
    """The identity filter (1 at the centre)."""
    kernel = np.zeros((kernel_size, kernel_size))
    kernel[kernel_size // 2, kernel_size // 2] = 1.0
    return kernel


def _draw_beta(beta_range):
    # half of the draws below 1, half above, as the released code
    if np.random.uniform() < 0.5:
        return np.random.uniform(beta_range[0], 1)
    return np.random.uniform(1, beta_range[1])


def random_mixed_kernel(kernel_list: Sequence[str],
                        kernel_prob: Sequence[float], kernel_size: int,
                        sigma_range: Any, betag_range: Any, betap_range: Any,
                        rotation_range: tuple = (-math.pi, math.pi)) -> Any:
    """One kernel of a type drawn with ``kernel_prob`` from ``kernel_list``;
    sigma_x, sigma_y uniform in ``sigma_range``, theta in ``rotation_range``,
    beta in ``betag_range`` (generalized) or ``betap_range`` (plateau)."""
    kind = random.choices(kernel_list, kernel_prob)[0]
    isotropic = kind.endswith('iso') and not kind.endswith('aniso')
    sigma_x = np.random.uniform(*sigma_range)
    if isotropic:
        sigma_y, theta = sigma_x, 0.0
    else:
        sigma_y = np.random.uniform(*sigma_range)
        theta = np.random.uniform(*rotation_range)
    if kind in ('iso', 'aniso'):
        return bivariate_gaussian(kernel_size, sigma_x, sigma_y, theta,
                                  isotropic)
    if kind.startswith('generalized'):
        return bivariate_generalized_gaussian(
            kernel_size, sigma_x, sigma_y, theta, _draw_beta(betag_range),
            isotropic)
    return bivariate_plateau(kernel_size, sigma_x, sigma_y, theta,
                             _draw_beta(betap_range), isotropic)


DEFAULT_KERNEL_SIZES = tuple(range(7, 22, 2))  # 7, 9, ..., 21


@DEGRADATIONS.register_module()
class BlurKernelSampler:
    """Draws the blur kernel of one degradation stage (paper Sec. 3.1).

    Args:
        kernel_list (Sequence[str]): kernel types, from :data:`KERNEL_TYPES`.
        kernel_prob (Sequence[float]): their probabilities (sum 1).
        blur_sigma (tuple): sigma range, pixels. Paper: (0.2, 3) for the
            first degradation, (0.2, 1.5) for the second.
        betag_range (tuple): beta of generalized Gaussians. Paper (0.5, 4).
        betap_range (tuple): beta of plateau kernels. Paper (1, 2).
        sinc_prob (float): probability of a sinc kernel instead (cutoff
            uniform in [pi/3, pi] for sizes < 13, [pi/5, pi] otherwise).
            Paper: 0.1.
        kernel_sizes (Sequence[int]): odd sizes drawn uniformly. Paper:
            7, 9, ..., 21. Every kernel is zero-padded to the largest.

    ``sample()`` -> ``(K, K)`` float32 array, K = max(kernel_sizes).
    """

    def __init__(
            self, *, kernel_list: Sequence[str] = KERNEL_TYPES,
            kernel_prob: Sequence[float] = (0.45, 0.25, 0.12, 0.03, 0.12,
                                            0.03),
            blur_sigma: Tuple[float, ...] = (0.2, 3.0),
            betag_range: Tuple[float, ...] = (0.5, 4.0),
            betap_range: Tuple[float, ...] = (1.0, 2.0),
            sinc_prob: float = 0.1,
            kernel_sizes: Sequence[int] = DEFAULT_KERNEL_SIZES,
            name: str = 'blur kernel') -> None:
        unknown = [k for k in kernel_list if k not in KERNEL_TYPES]
        if unknown or not kernel_list:
            raise DegradationConfigError(
                f'{name}.kernel_list: unknown kernel type(s) {unknown}; the '
                f'types are {", ".join(KERNEL_TYPES)}')
        self.kernel_list = tuple(kernel_list)
        self.kernel_prob = check_probs(f'{name}.kernel_prob', kernel_prob,
                                       len(self.kernel_list), self.kernel_list)
        self.blur_sigma = check_range(f'{name}.blur_sigma', blur_sigma, 1e-6)
        self.betag_range = check_range(f'{name}.betag_range', betag_range,
                                       1e-6)
        self.betap_range = check_range(f'{name}.betap_range', betap_range,
                                       1e-6)
        for key, (lo, hi) in (('betag_range', self.betag_range),
                              ('betap_range', self.betap_range)):
            if not lo <= 1 <= hi:
                raise DegradationConfigError(
                    f'{name}.{key} must contain 1 (half of the draws are '
                    f'below 1, half above), got {(lo, hi)}')
        self.sinc_prob = check_prob(f'{name}.sinc_prob', sinc_prob)
        self.kernel_sizes = check_kernel_sizes(f'{name}.kernel_sizes',
                                               kernel_sizes)
        self.max_size = self.kernel_sizes[-1]

    def sample(self) -> Any:
        size = random.choice(self.kernel_sizes)
        if np.random.uniform() < self.sinc_prob:
            low = np.pi / 3 if size < 13 else np.pi / 5
            kernel = circular_lowpass_kernel(np.random.uniform(low, np.pi),
                                             size)
        else:
            kernel = random_mixed_kernel(self.kernel_list, self.kernel_prob,
                                         size, self.blur_sigma,
                                         self.betag_range, self.betap_range)
        pad = (self.max_size - size) // 2
        return np.pad(kernel, ((pad, pad), (pad, pad))).astype(np.float32)


@DEGRADATIONS.register_module()
class FinalSincSampler:
    """The final sinc filter: with probability ``prob`` a sinc kernel of a
    size drawn from ``kernel_sizes`` (cutoff uniform in [pi/3, pi]), else
    the identity pulse. Paper: prob 0.8, sizes 7..21.

    ``sample()`` -> ``(K, K)`` float32, K = max(kernel_sizes).
    """

    def __init__(self, *, prob: float = 0.8,
                 kernel_sizes: Sequence[int] = DEFAULT_KERNEL_SIZES,
                 name: str = 'final_sinc') -> None:
        self.prob = check_prob(f'{name}.prob', prob)
        self.kernel_sizes = check_kernel_sizes(f'{name}.kernel_sizes',
                                               kernel_sizes)
        self.max_size = self.kernel_sizes[-1]

    def sample(self) -> Any:
        if np.random.uniform() < self.prob:
            size = random.choice(self.kernel_sizes)
            kernel = circular_lowpass_kernel(
                np.random.uniform(np.pi / 3, np.pi), size, pad_to=self.max_size)
        else:
            kernel = pulse_kernel(self.max_size)
        return kernel.astype(np.float32)
