"""``--cfg-options key=value ...``, safe for paths with spaces and commas.

mmengine's ``DictAction`` deletes every space of a value and splits it at
commas, so ``work_dir=/data/my runs/x,y`` silently becomes the list
``['/data/myruns/x', 'y']``. :class:`CfgOptionsAction` keeps mmengine's
syntax for numbers, booleans, ``None``, ``[a,b]``/``(a,b)`` and ``a,b``
lists, with two rules for strings:

* a value in quotes (``key='"/data/my runs/a,b"'`` in the shell: the inner
  quotes reach Python) is taken exactly as written;
* an unquoted value with a comma *and* a ``/`` (a path that would be split)
  is refused, and so is a word without ``=`` (a path the shell split at a
  space), each with the quoting rule. Spaces inside one argument are kept.
"""
from __future__ import annotations

import argparse

from mmengine.config import DictAction

__all__ = ['CfgOptionsAction', 'parse_cfg_options', 'QUOTING_RULE']

QUOTING_RULE = (
    "quote the value for the shell and, to keep commas, quote it again "
    "inside: --cfg-options 'work_dir=/data/my runs' or "
    "--cfg-options 'data_root=\"/data/a,b\"'")


def parse_cfg_options(items):
    """``['a.b=1', ...]`` -> ``{'a.b': 1, ...}`` (raises ValueError with
    :data:`QUOTING_RULE` on an ambiguous item)."""
    options = {}
    for item in items:
        if '=' not in item:
            raise ValueError(
                f'--cfg-options: {item!r} is not key=value (a value with a '
                f'space split by the shell?); {QUOTING_RULE}')
        key, val = item.split('=', 1)
        stripped = val.strip()
        if len(stripped) >= 2 and stripped[0] == stripped[-1] and \
                stripped[0] in '"\'':
            options[key] = stripped[1:-1]
        elif stripped[:1] in '[(':
            options[key] = DictAction._parse_iterable(stripped)
        elif ',' in val and '/' in val:
            raise ValueError(
                f'--cfg-options {item!r}: an unquoted comma makes a list, '
                f'which would split this path; {QUOTING_RULE}')
        elif ',' in val:
            options[key] = DictAction._parse_iterable(stripped)
        else:
            options[key] = DictAction._parse_int_float_bool(val)
    return options


class CfgOptionsAction(argparse.Action):
    """argparse action for ``--cfg-options`` (``nargs='+'``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        options = dict(getattr(namespace, self.dest, None) or {})
        try:
            options.update(parse_cfg_options(values))
        except ValueError as err:
            parser.error(str(err))
        setattr(namespace, self.dest, options)
