"""Print what srtoolbox's registries hold.

    python tools/list_modules.py              # every registry
    python tools/list_modules.py generators   # one registry
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main(argv=None):
    from srtoolbox.registry import ALL_REGISTRIES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('registry', nargs='?', choices=sorted(ALL_REGISTRIES),
                        help='one registry (default: all)')
    args = parser.parse_args(argv)
    names = [args.registry] if args.registry else list(ALL_REGISTRIES)
    for name in names:
        registry = ALL_REGISTRIES[name]
        registry.import_from_location()
        modules = sorted(registry.module_dict)
        print(f'{name} ({len(modules)}):')
        for module in modules:
            obj = registry.module_dict[module]
            doc = (obj.__doc__ or '').strip().splitlines()
            print(f'  {module:<28} {doc[0] if doc else ""}')


if __name__ == '__main__':
    main()
