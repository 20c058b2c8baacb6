#!/usr/bin/env bash
# Train with NPROC processes per machine (one per GPU; on CPU-only machines
# gloo is used instead of nccl):
#   tools/dist_train.sh CONFIG NPROC [tools/train.py options]
# Several machines: run the same command on each, with
#   NNODES (default 1)  NODE_RANK (0..NNODES-1, default 0)
#   MASTER_ADDR (address of node 0, default 127.0.0.1)  PORT (default 29500)
# PYTHON picks the interpreter (default: python).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NPROC [tools/train.py options]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" \
    --nproc_per_node="$NPROC" \
    "$ROOT/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
