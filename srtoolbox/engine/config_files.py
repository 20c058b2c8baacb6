"""A config's files: its ``_base_`` chain, which file defines a key, and
syntax errors named by file and line (Python and YAML configs)."""
from __future__ import annotations

import ast
import os.path as osp
import re
from typing import Iterator, List, Optional, Tuple

import yaml
from mmengine.config import Config

__all__ = ['ConfigError', 'config_files', 'config_optimizers',
           'defining_file', 'explain_syntax_error', 'type_name',
           'wrapper_configs']


class ConfigError(ValueError):
    """A mistake in a config, named by key and file."""


def config_files(path: str) -> List[str]:
    """``path`` and its ``_base_`` files, child first (unreadable ones
    are left out)."""
    out, todo = [], [osp.abspath(path)]
    while todo:
        current = todo.pop(0)
        if current in out or not osp.isfile(current):
            continue
        out.append(current)
        try:
            bases = Config._get_base_files(current)
        except Exception:  # noqa: B902 (a broken base: reported elsewhere)
            continue
        todo += [osp.normpath(osp.join(osp.dirname(current), b))
                 for b in bases]
    return out


def defining_file(cfg, leaf: str) -> str:
    """The first config file (child first) that writes ``leaf =`` or
    ``leaf:``; the config's own file when none does."""
    path = getattr(cfg, 'filename', None)
    if not path:
        return '<config>'
    pattern = re.compile(r'(?<![\w.])' + re.escape(leaf) + r'\s*[=:]')
    for f in config_files(path):
        try:
            with open(f, encoding='utf-8') as fh:
                if pattern.search(fh.read()):
                    return f
        except OSError:
            pass
    return path


def explain_syntax_error(path: str) -> Optional[str]:
    """``'file, line N: message'`` for the first config file (``path`` or
    a ``_base_``) that does not parse, or None when all do."""
    files = [osp.abspath(path)]
    seen = set()
    while files:
        f = files.pop(0)
        if f in seen or not osp.isfile(f):
            continue
        seen.add(f)
        with open(f, encoding='utf-8') as fh:
            text = fh.read()
        try:
            if f.endswith('.py'):
                tree = ast.parse(text, filename=f)
                bases = _literal_bases(tree)
            else:
                data = yaml.safe_load(text) or {}
                bases = data.get('_base_', []) if isinstance(data, dict) \
                    else []
                bases = [bases] if isinstance(bases, str) else bases
        except SyntaxError as e:
            return f'{f}, line {e.lineno}: {e.msg} (Python syntax error)'
        except Exception as e:  # noqa: B902 (yaml.YAMLError)
            mark = getattr(e, 'problem_mark', None)
            where = f', line {mark.line + 1}' if mark is not None else ''
            problem = getattr(e, 'problem', None) or str(e)
            return f'{f}{where}: {problem} (YAML syntax error)'
        files += [osp.normpath(osp.join(osp.dirname(f), b)) for b in bases
                  if isinstance(b, str)]
    return None


def _literal_bases(tree) -> List[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [value] if isinstance(value, str) else list(value)
    return []


def wrapper_configs(optim_wrapper) -> Iterator[Tuple[str, dict]]:
    """``(key, wrapper config)`` of each optimizer wrapper of an
    ``optim_wrapper`` config: itself, or one per network (GANs:
    ``generator``, ``discriminator``)."""
    if not isinstance(optim_wrapper, dict):
        return
    if isinstance(optim_wrapper.get('optimizer'), dict):
        yield 'optim_wrapper', optim_wrapper
    for k, w in optim_wrapper.items():
        if isinstance(w, dict) and isinstance(w.get('optimizer'), dict):
            yield f'optim_wrapper.{k}', w


def config_optimizers(cfg) -> Iterator[Tuple[str, dict]]:
    """``(key, optimizer config)`` of each optimizer of ``optim_wrapper``
    (one wrapper, or one per network)."""
    for key, wrapper in wrapper_configs(cfg.get('optim_wrapper')):
        yield f'{key}.optimizer', wrapper['optimizer']


def type_name(kind) -> str:
    """The short name of a config's ``type`` (a registered name, a dotted
    path or a class): ``'torch.optim.Adam'`` and ``Adam`` give ``'Adam'``."""
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return name.split('.')[-1]
