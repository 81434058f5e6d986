#!/usr/bin/env bash
# A real packet larger than MPI's `int` counts allow crossing ranks: rank 0 sends rank 1 one
# array of --gib GiB (3 by default) with SPMDCluster.send, in 1 GiB pieces, and rank 1 sends its
# checksum back. Peak memory is about four times the packet (array and packet on each side).
#
#   bash scripts/mpi-big.sh                   # 3 GiB, the debug build scripts/test.sh made (CI)
#   bash scripts/mpi-big.sh --release --gib 5
set -euo pipefail
cd "$(dirname "$0")/.."
gib=3
configuration=debug
while [ $# -gt 0 ]; do
    case "$1" in
        --gib) gib="$2"; shift 2 ;;
        --release) configuration=release; shift ;;
        *) echo "mpi-big: unknown option $1" >&2; exit 2 ;;
    esac
done
bash scripts/setup.sh
if [ "$configuration" = release ]; then
    swift build -c release --traits MPI --product heappack-mpi-check --scratch-path .build-release-mpi
    binary=.build-release-mpi/release/heappack-mpi-check
else
    swift build --traits MPI --product heappack-mpi-check
    binary=.build/debug/heappack-mpi-check
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=true MPIEXEC_TIMEOUT=900
output=$(mpiexec -n 2 --mca btl tcp,self "$binary" big "$gib")
echo "$output"
grep -q '^done=true$' <<<"$output"
