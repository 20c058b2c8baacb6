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
exec "$(dirname "$0")/dist_run.sh" "$2" train.py "$1" "${@:3}"
