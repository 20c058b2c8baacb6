"""``srt``: one command for every srtoolbox tool, from any directory.

    srt train configs/srresnet/msrresnet_x4_demo.py
    srt test CONFIG CHECKPOINT
    srt infer --config CFG --checkpoint CKPT --input photos/ --output out/
    srt list generators --verbose
    srt flops CONFIG --shape 180 320

Each sub-command runs the ``main(argv)`` of the matching ``tools/*.py``
script (``srt train ...`` is ``python tools/train.py ...``), so both spellings
take the same options; ``srt SUBCOMMAND --help`` shows them. A relative
config path that does not exist in the current directory is looked up in
the srtoolbox checkout (``configs/...`` works from anywhere) and a line
says so. Installed by ``pip install -e .`` (console script ``srt``); also
``python -m srtoolbox.cli``.
"""
from __future__ import annotations

import difflib
import importlib.util
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from .version import __version__

__all__ = ['main', 'COMMANDS']

# sub-command: (tools script, one line of help)
COMMANDS: Dict[str, Tuple[str, str]] = {
    'train': ('train.py', 'train a model from a config'),
    'test': ('test.py', 'evaluate a checkpoint on test sets'),
    'infer': ('infer.py', 'upscale images or folders'),
    'eval': ('eval_folder.py', 'PSNR/SSIM of a folder against HR images'),
    'list': ('list_modules.py', "what srtoolbox's registries hold"),
    'convert': ('convert_checkpoint.py',
                'convert BasicSR/ESRGAN/MMagic checkpoints'),
    'interpolate': ('interpolate.py', 'network interpolation of two '
                    'checkpoints'),
    'lmdb': ('create_lmdb.py', 'build an LMDB from an image folder'),
    'inspect-lmdb': ('inspect_lmdb.py', 'check an LMDB'),
    'subimages': ('extract_subimages.py', 'crop large images into '
                  'sub-images'),
    'flops': ('get_flops.py', 'parameters and MACs of a generator'),
    'export': ('export_onnx.py', 'export a generator to ONNX'),
    'report': ('report.py', 'offline HTML report comparing runs and models'),
}

# sub-commands whose first positional argument is a config file
_CONFIG_FIRST = ('train', 'test', 'flops', 'export')

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(REPO, 'tools')


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ['usage: srt SUBCOMMAND [options]   (srt SUBCOMMAND --help)', '',
             'sub-commands:']
    lines += [f'  {name:<{width}}  {text}'
              for name, (_, text) in COMMANDS.items()]
    return '\n'.join(lines)


def _load_tool(script: str):
    path = osp.join(TOOLS, script)
    if not osp.isfile(path):
        raise SystemExit(
            f'srt: {path} not found: srt runs the scripts of tools/ of a '
            'source checkout; install srtoolbox from one with '
            "pip install -e '.'")
    name = 'srtoolbox_tool_' + osp.splitext(script)[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _resolve_config(command: str, argv: List[str]) -> List[str]:
    """Find a relative config path in the checkout when it is not in the
    current directory (and say so)."""
    keys = ('--config', ) if command not in _CONFIG_FIRST else ()
    for i, arg in enumerate(argv):
        is_config = (i > 0 and argv[i - 1] in keys) or (
            command in _CONFIG_FIRST and not arg.startswith('-')
            and i == next((j for j, a in enumerate(argv)
                           if not a.startswith('-')), None))
        if not is_config or osp.isabs(arg) or osp.exists(arg):
            continue
        if not arg.endswith(('.py', '.yaml', '.yml', '.json')):
            continue
        candidate = osp.join(REPO, arg)
        if osp.isfile(candidate):
            print(f'srt: config {arg} is not in {os.getcwd()}; using '
                  f'{candidate}', file=sys.stderr)
            argv = argv[:i] + [candidate] + argv[i + 1:]
        break
    return argv


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ('-h', '--help', 'help'):
        print(_usage())
        return 0
    if argv[0] in ('-V', '--version'):
        print(f'srtoolbox {__version__}')
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        close = difflib.get_close_matches(command, list(COMMANDS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ''
        print(f"srt: unknown sub-command '{command}'.{hint}\n\n{_usage()}",
              file=sys.stderr)
        return 2
    tool = _load_tool(COMMANDS[command][0])
    rest = _resolve_config(command, rest)
    sys.argv = [f'srt {command}', *rest]  # argparse's prog and usage
    code = tool.main(rest)
    return int(code or 0)


if __name__ == '__main__':
    sys.exit(main())
