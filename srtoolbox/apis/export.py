"""Export a generator to ONNX and check it against PyTorch.

Needs the optional ``onnx`` extra (``pip install -e .[onnx]``: onnx and
onnxruntime), imported only when these functions run.

The export uses PyTorch's TorchScript-based exporter
(``torch.onnx.export(..., dynamo=False)``): it works offline with just
``onnx`` installed. The newer ``torch.export``-based exporter, the default
since PyTorch 2.9, needs ``onnxscript`` as well and gains nothing for these
plain convolutional networks. Every srtoolbox generator exports at opset 17
(PReLU, PixelShuffle -> DepthToSpace, bilinear/nearest -> Resize, RCAN's
pooling -> GlobalAveragePool).
"""
import copy
import os
import os.path as osp
import warnings
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor, nn

from ..utils.fileio import atomic_path

__all__ = ['export_onnx', 'check_onnx']

_EXTRA = 'pip install -e .[onnx]  (onnx and onnxruntime)'


def _require(name):
    try:
        return __import__(name)
    except ImportError as err:
        raise ImportError(f'{name} is not installed; ONNX export and checks '
                          f'need the onnx extra: {_EXTRA}') from err


class _UnitOutput(nn.Module):
    """A generator whose output is mapped from ``output_range`` to [0, 1]
    (not clamped)."""

    def __init__(self, generator, output_range):
        super().__init__()
        self.generator = generator
        self.low, self.high = (float(v) for v in output_range)

    def forward(self, x):
        return (self.generator(x) - self.low) / (self.high - self.low)


def _for_export(generator, output_range):
    if output_range is None or tuple(map(float, output_range)) == (0.0, 1.0):
        return generator
    return _UnitOutput(generator, output_range)


def export_onnx(generator: nn.Module, out_path: str,
                input_shape: tuple = (1, 3, 64, 64), dynamic: bool = False,
                fp16: bool = False, opset: int = 17, overwrite: bool = False,
                output_range: Optional[tuple] = None) -> str:
    """Write ``generator`` as an ONNX model, atomically.

    Args:
        generator (nn.Module): left unchanged (a copy is exported on the
            CPU, in eval mode).
        out_path (str): ``.onnx`` file to write.
        input_shape (tuple[int]): ``(N, C, H, W)`` traced with. Default:
            (1, 3, 64, 64).
        dynamic (bool): batch, height and width dynamic; otherwise the model
            accepts only ``input_shape``.
        fp16 (bool): half-precision weights, input and output.
        opset (int): ONNX opset. Default: 17.
        overwrite (bool): replace an existing file. Default: False.
        output_range (tuple | None): the network's output range (the
            config's ``gt_range``); when given and not (0, 1), the exported
            model maps its output to [0, 1].

    Returns:
        str: ``out_path``. The graph has one input ``input``
        ``(N, C, H, W)`` in [0, 1] and one output ``output``
        ``(N, C, s*H, s*W)``.

    Raises:
        FileExistsError: ``out_path`` exists and ``overwrite`` is False.
        ImportError: onnx is not installed (names the extra).
    """
    onnx = _require('onnx')
    out_path = os.fspath(out_path)
    if osp.exists(out_path) and not overwrite:
        raise FileExistsError(f'{out_path} exists; pass overwrite=True '
                              '(--overwrite) to replace it')
    model = _for_export(copy.deepcopy(generator).cpu().eval(), output_range)
    dummy = torch.rand(*input_shape)
    if fp16:
        model, dummy = model.half(), dummy.half()
    axes = {0: 'batch', 2: 'height', 3: 'width'}
    with atomic_path(out_path) as tmp:
        with warnings.catch_warnings(), torch.no_grad():
            # the TorchScript exporter is deprecated, not broken; see module
            warnings.filterwarnings('ignore', category=DeprecationWarning)
            torch.onnx.export(
                model, (dummy, ), tmp, dynamo=False, opset_version=opset,
                input_names=['input'], output_names=['output'],
                dynamic_axes=dict(input=axes, output=axes) if dynamic
                else None)
        onnx.checker.check_model(tmp)
    return out_path


def check_onnx(generator: nn.Module, onnx_path: str,
               input: Optional[Union[Tensor, np.ndarray]] = None,
               output_range: Optional[tuple] = None) -> float:
    """Largest absolute difference between onnxruntime and PyTorch outputs.

    Args:
        generator (nn.Module): the network that was exported (fp32).
        onnx_path (str): the exported model.
        input (Tensor | np.ndarray | None): ``(N, C, H, W)`` in [0, 1];
            default a random input of the model's shape (32 for dynamic
            sizes). For an fp16 model it is rounded to fp16 for both runs.
        output_range (tuple | None): as given to :func:`export_onnx`.

    Returns:
        float: ``max |onnx - torch|`` over the output, in the exported
        model's output units ([0, 1] images: < 1e-4 is expected for fp32
        models, ~1e-3 for fp16).
    """
    ort = _require('onnxruntime')
    session = ort.InferenceSession(os.fspath(onnx_path),
                                   providers=['CPUExecutionProvider'])
    meta = session.get_inputs()[0]
    fp16 = meta.type == 'tensor(float16)'
    if input is None:
        shape = [d if isinstance(d, int) else (1 if i == 0 else 32)
                 for i, d in enumerate(meta.shape)]
        input = torch.rand(*shape)
    x = torch.as_tensor(np.asarray(input) if not torch.is_tensor(input)
                        else input).float().cpu()
    if fp16:
        x = x.half().float()
    feed = x.half().numpy() if fp16 else x.numpy()
    got = session.run(None, {meta.name: feed})[0].astype(np.float32)
    model = _for_export(generator, output_range)
    was_training = generator.training
    device = next(generator.parameters()).device
    generator.eval()
    try:
        with torch.no_grad():
            ref = model(x.to(device)).float().cpu().numpy()
    finally:
        generator.train(was_training)
    if got.shape != ref.shape:
        raise ValueError(f'{onnx_path}: output shape {got.shape} differs from '
                         f"PyTorch's {ref.shape}")
    return float(np.abs(got - ref).max())
