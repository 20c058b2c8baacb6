"""Print what srtoolbox's registries hold.

    python tools/list_modules.py              # every registry
    python tools/list_modules.py generators   # one registry
    python tools/list_modules.py --import my_project.nets --verbose

``--import`` imports your modules first (what ``custom_imports`` does in a
config), so their registered classes are listed beside srtoolbox's;
``--verbose`` shows each module's constructor signature and defaults.
"""
import argparse
import importlib
import inspect
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


def describe(obj):
    """``Name(a=1, *, b: int = 2)`` without ``self``; '' if unknown."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ''
    return str(sig)


@tool_main
def main(argv=None):
    from srtoolbox.registry import ALL_REGISTRIES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('registry', nargs='?', choices=sorted(ALL_REGISTRIES),
                        help='one registry (default: all)')
    parser.add_argument('--import', dest='imports', nargs='+', default=[],
                        metavar='MODULE', help='import these modules first '
                        '(your registered classes), e.g. my_project.nets')
    parser.add_argument('--verbose', '-v', action='store_true',
                        help="show each module's signature and defaults")
    args = parser.parse_args(argv)
    if os.getcwd() not in sys.path:  # my_project.nets from where you are
        sys.path.insert(0, os.getcwd())
    for name in args.imports:
        try:
            importlib.import_module(name)
        except ImportError as err:
            print(f'error: --import {name}: {err}', file=sys.stderr)
            return 1
    names = [args.registry] if args.registry else list(ALL_REGISTRIES)
    for name in names:
        registry = ALL_REGISTRIES[name]
        registry.import_from_location()
        modules = sorted(registry.module_dict)
        print(f'{name} ({len(modules)}):')
        for module in modules:
            obj = registry.module_dict[module]
            doc = (obj.__doc__ or '').strip().splitlines()
            origin = getattr(obj, '__module__', '')
            own = '' if origin.startswith('srtoolbox') else f'  [{origin}]'
            print(f'  {module:<28} {doc[0] if doc else ""}{own}')
            if args.verbose:
                print(f'      {module}{describe(obj)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
