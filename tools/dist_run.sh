#!/usr/bin/env bash
# The torchrun launch that dist_train.sh and dist_test.sh share:
#   tools/dist_run.sh NPROC SCRIPT [SCRIPT arguments]   (SCRIPT: tools/SCRIPT)
# NPROC processes per machine (one per GPU; gloo on CPU-only machines).
# Several machines: run the same command on each, with
#   NNODES (default 1)  NODE_RANK (0..NNODES-1, default 0)
#   MASTER_ADDR (address of node 0, default 127.0.0.1)  PORT (default 29500)
# PYTHON picks the interpreter (default: python).
set -euo pipefail
NPROC=$1
SCRIPT=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$ROOT/tools/$SCRIPT" --launcher pytorch "${@:3}"
