"""Train a model from a config: ``python tools/train.py CONFIG [options]``.

Python (.py) and YAML (.yaml) configs; mmengine's Runner does the work.
"""
import argparse
import os
import os.path as osp
import shlex
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import ToolError, one_line, tool_main  # noqa
from srtoolbox.engine.cfg_options import CfgOptionsAction  # noqa: E402
from srtoolbox.engine.launch import (DataNotFoundError,  # noqa: E402
                                     NotResumableError, load_config,
                                     prepare_train_config, train_from_config)
from srtoolbox.engine.preemption import Preempted  # noqa: E402
from srtoolbox.engine.run_lock import WorkDirLockedError  # noqa: E402
from srtoolbox.utils.checkpoint_io import UnsafeCheckpointError  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train an SR model')
    parser.add_argument('config', help='config file (.py or .yaml)')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CKPT',
        help='resume from CKPT, or from the latest checkpoint of the work '
        'dir when no path is given')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 where supported (CPUs '
                        'with AVX-512 bf16, Ampere+ GPUs), else fp16 with '
                        'loss scaling')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the networks (first iterations '
                        'are slow while it compiles)')
    parser.add_argument('--tensorboard', action='store_true',
                        help='log losses, learning rate, validation metrics '
                        "and images to TensorBoard (pip install -e "
                        "'.[tensorboard]'; tensorboard --logdir WORK_DIR)")
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic algorithms (bit-exact reruns '
                        'and resumes; slower on GPUs)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config keys, e.g. '
                        'train_cfg.max_iters=1000; quote paths with spaces, '
                        'and commas twice: \'data_root="/a,b"\'')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none', help='job launcher: torchrun '
                        '(tools/dist_train.sh) or srun (tools/slurm_train.sh)'
                        '; gloo on machines without a GPU')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def resume_command(argv, work_dir):
    """The command line that continues this run: ``argv`` with
    ``--resume`` (latest checkpoint of ``work_dir``) instead of any
    ``--resume [CKPT]`` it had, and ``--work-dir`` made explicit."""
    rest, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == '--resume':
            nxt = argv[i + 1] if i + 1 < len(argv) else '-'
            skip = not nxt.startswith('-') and osp.isfile(nxt)
            continue
        if arg.startswith('--resume='):
            continue
        rest.append(arg)
    if not any(a == '--work-dir' or a.startswith('--work-dir=')
               for a in rest):
        rest[1:1] = ['--work-dir', work_dir]
    prog = ['srt', 'train'] if osp.basename(sys.argv[0]).startswith('srt') \
        else ['python', 'tools/train.py']
    return shlex.join([*prog, *rest, '--resume'])


@tool_main
def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:  # torch.distributed.launch --use-env
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    try:
        cfg = load_config(args.config, args.cfg_options)
        cfg = prepare_train_config(cfg, config_path=args.config,
                                   work_dir=args.work_dir, resume=args.resume,
                                   amp=args.amp, launcher=args.launcher,
                                   compile=args.compile or None,
                                   deterministic=args.deterministic or None,
                                   tensorboard=args.tensorboard or None)
        train_from_config(cfg)
    except (DataNotFoundError, NotResumableError, UnsafeCheckpointError,
            WorkDirLockedError) as err:
        raise ToolError(f'{args.config}: {one_line(err)}') from err
    except Preempted as stop:
        print(f'{stop}.\nResume with:\n  '
              f'{resume_command(argv, cfg.work_dir)}', file=sys.stderr,
              flush=True)
        sys.exit(stop.exit_code)


if __name__ == '__main__':
    sys.exit(main())
