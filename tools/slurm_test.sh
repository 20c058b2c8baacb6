#!/usr/bin/env bash
# Test a checkpoint on a Slurm cluster, one task per GPU:
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# Environment: GPUS (default 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), GRES,
# SRUN_ARGS, PORT, PYTHON as in slurm_train.sh.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]" >&2
    exit 2
fi
exec "$(dirname "$0")/slurm_run.sh" "$1" "$2" test.py "$3" "$4" "${@:5}"
