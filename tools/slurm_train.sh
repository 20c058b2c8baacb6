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
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-gpu:$GPUS_PER_NODE}
SRUN_ARGS=${SRUN_ARGS:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

export MASTER_PORT=${PORT:-${MASTER_PORT:-29500}}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# shellcheck disable=SC2086  # SRUN_ARGS holds several options
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    ${GRES:+--gres="$GRES"} \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "${PYTHON:-python}" -u "$ROOT/tools/train.py" "$CONFIG" \
    --work-dir="$WORK_DIR" --launcher=slurm "${@:5}"
