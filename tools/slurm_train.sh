#!/usr/bin/env bash
# Train on a Slurm cluster, one task per GPU (mmengine's slurm launcher):
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# Environment:
#   GPUS           tasks in all (default 8)
#   GPUS_PER_NODE  tasks per node (default 8)
#   CPUS_PER_TASK  CPU cores per task, for data loading (default 5)
#   GRES           generic resources per node (default gpu:GPUS_PER_NODE;
#                  empty for CPU-only nodes, which then train with gloo)
#   SRUN_ARGS      more srun options, e.g. "--time=2-00:00:00 --requeue"
#   PORT           rendezvous port (default 29500)
#   PYTHON         interpreter (default: python)
# Add --resume to continue from the work dir's latest checkpoint after a
# preemption (it starts afresh when there is none).
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]" >&2
    exit 2
fi
exec "$(dirname "$0")/slurm_run.sh" "$1" "$2" train.py "$3" \
    --work-dir="$4" "${@:5}"
