#!/usr/bin/env bash
# The srun launch that slurm_train.sh and slurm_test.sh share (mmengine's
# slurm launcher, one task per GPU):
#   tools/slurm_run.sh PARTITION JOB_NAME SCRIPT [SCRIPT arguments]
# Environment: GPUS, GPUS_PER_NODE, CPUS_PER_TASK, GRES, SRUN_ARGS, PORT,
# PYTHON, described in slurm_train.sh.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
GRES=${GRES-gpu:$GPUS_PER_NODE}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

export MASTER_PORT=${PORT:-${MASTER_PORT:-29500}}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# shellcheck disable=SC2086  # SRUN_ARGS holds several options
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    ${GRES:+--gres="$GRES"} \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "${PYTHON:-python}" -u "$ROOT/tools/$SCRIPT" --launcher=slurm "${@:4}"
