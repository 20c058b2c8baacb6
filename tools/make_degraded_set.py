"""Make a fixed validation set with Real-ESRGAN's degradation model.

Centre-crops each HR image to a square, degrades it once with a fixed seed
(srtoolbox.degradations.degrade_images) and writes OUT/gt/<name>.png and
OUT/lq/<name>.png; --real images are centre-cropped and written to
OUT/real/ untouched (real photographs to super-resolve, with no HR).
Nothing is overwritten: existing files are named and nothing is written.

  python tools/make_degraded_set.py --output data/demo/realesrgan_val \\
      --crop 128 --seed 0 --inputs HR1.png HR2.png --real PHOTO.png
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402
from srtoolbox.degradations.offline import degrade_images  # noqa: E402
from srtoolbox.utils import imread, imwrite  # noqa: E402


def centre_crop(img, size):
    h, w = img.shape[:2]
    if h < size or w < size:
        raise SystemExit(f'image {w}x{h} is smaller than --crop {size}')
    top, left = (h - size) // 2, (w - size) // 2
    return img[top:top + size, left:left + size]


@tool_main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--inputs', nargs='+', required=True,
                        help='HR images')
    parser.add_argument('--output', required=True)
    parser.add_argument('--crop', type=int, default=128,
                        help='square HR crop (a multiple of --scale)')
    parser.add_argument('--real', nargs='*', default=[],
                        help='real photographs, written as LR inputs')
    parser.add_argument('--real-crop', type=int, default=96)
    parser.add_argument('--scale', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.crop % args.scale:
        parser.error(f'--crop {args.crop} is not a multiple of --scale '
                     f'{args.scale}')
    names = [osp.splitext(osp.basename(p))[0] + '.png' for p in args.inputs]
    targets = [osp.join(args.output, sub, n) for n in names
               for sub in ('gt', 'lq')]
    targets += [osp.join(args.output, 'real', osp.splitext(osp.basename(p))[0]
                         + '.png') for p in args.real]
    existing = [t for t in targets if osp.exists(t)]
    if existing:
        raise SystemExit('not overwriting: ' + ', '.join(existing))
    hr = [centre_crop(imread(p), args.crop) for p in args.inputs]
    lq = degrade_images(hr, scale=args.scale, seed=args.seed)
    for name, h, l in zip(names, hr, lq):
        imwrite(h, osp.join(args.output, 'gt', name), overwrite=False)
        imwrite(l, osp.join(args.output, 'lq', name), overwrite=False)
    for path in args.real:
        name = osp.splitext(osp.basename(path))[0] + '.png'
        imwrite(centre_crop(imread(path), args.real_crop),
                osp.join(args.output, 'real', name), overwrite=False)
    total = sum(osp.getsize(t) for t in targets)
    print(f'wrote {len(targets)} files ({total / 1024:.0f} KB) to '
          f'{args.output} (seed {args.seed})')
    return 0


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    sys.exit(main())
