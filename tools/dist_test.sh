#!/usr/bin/env bash
# Test a checkpoint with NPROC processes per machine (gloo on CPU-only
# machines):
#   tools/dist_test.sh CONFIG CHECKPOINT NPROC [tools/test.py options]
# Several machines: NNODES, NODE_RANK, MASTER_ADDR, PORT as in dist_train.sh.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT NPROC [tools/test.py options]" >&2
    exit 2
fi
exec "$(dirname "$0")/dist_run.sh" "$3" test.py "$1" "$2" "${@:4}"
