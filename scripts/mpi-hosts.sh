#!/usr/bin/env bash
# Several machines, simulated on this one: each "host" is a network namespace (ip netns) with a
# host name of its own (a UTS namespace), joined to the others by a veth pair to a bridge, and
# mpiexec starts one rank on each over TCP, entering the namespace where it would ssh to a
# machine (Open MPI's plm_rsh_agent). Then heappack-nodes runs sumEuler and nqueens across them
# with --mpi, and its output names each rank's host. Needs root (sudo otherwise).
#
#   bash scripts/mpi-hosts.sh                   # 3 hosts, the debug build scripts/test.sh made
#   bash scripts/mpi-hosts.sh --release --upper 50000 --chunk 500 --queens 14
set -euo pipefail
cd "$(dirname "$0")/.."

hosts=3
configuration=debug
upper=3000
chunk=100
queens=10
while [ $# -gt 0 ]; do
    case "$1" in
        --hosts) hosts="$2"; shift 2 ;;
        --release) configuration=release; shift ;;
        --upper) upper="$2"; shift 2 ;;
        --chunk) chunk="$2"; shift 2 ;;
        --queens) queens="$2"; shift 2 ;;
        *) echo "mpi-hosts: unknown option $1" >&2; exit 2 ;;
    esac
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

bash scripts/setup.sh
command -v ip >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq iproute2; }

if [ "$configuration" = release ]; then
    swift build -c release --traits MPI --product heappack-nodes --scratch-path .build-release-mpi
    binary=$PWD/.build-release-mpi/release/heappack-nodes
else
    swift build --traits MPI --product heappack-nodes
    binary=$PWD/.build/debug/heappack-nodes
fi

prefix=hpnode
bridge=hpbr0
subnet=10.77.0
work=$(mktemp -d)
charts=$PWD/.build-mpi-hosts
mkdir -p "$charts"
unplug() {
    for i in $(seq 1 "$hosts"); do $sudo ip netns del "$prefix$i" 2>/dev/null || true; done
    $sudo ip link del "$bridge" 2>/dev/null || true
}
trap 'unplug; rm -rf "$work"' EXIT
unplug

# The bridge is the switch; mpiexec, in this namespace, reaches the hosts through it.
$sudo ip link add "$bridge" type bridge
$sudo ip addr add "$subnet.254/24" dev "$bridge"
$sudo ip link set "$bridge" up
: >"$work/hostfile"
for i in $(seq 1 "$hosts"); do
    $sudo ip netns add "$prefix$i"
    $sudo ip link add "${prefix}v$i" type veth peer name eth0 netns "$prefix$i"
    $sudo ip link set "${prefix}v$i" master "$bridge" up
    $sudo ip netns exec "$prefix$i" ip addr add "$subnet.$i/24" dev eth0
    $sudo ip netns exec "$prefix$i" ip link set eth0 up
    $sudo ip netns exec "$prefix$i" ip link set lo up
    echo "$subnet.$i slots=1" >>"$work/hostfile"
done

# Open MPI runs `AGENT HOST COMMAND...` where it would run `ssh HOST COMMAND...`: this agent
# enters HOST's namespaces instead, names the host, and runs the command with a shell, as sshd would.
cat >"$work/agent" <<AGENT
#!/bin/sh
host="\$1"; shift
name="node\${host##*.}"
exec $sudo ip netns exec "$prefix\${host##*.}" unshare --uts /bin/sh -c "hostname \$name && \$*"
AGENT
chmod +x "$work/agent"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 MPIEXEC_TIMEOUT=600
mpi=(mpiexec -n "$hosts" --hostfile "$work/hostfile"
     --mca plm_rsh_agent "$work/agent" --mca plm_rsh_no_tree_spawn 1
     --mca oob_tcp_if_include "$subnet.0/24" --mca btl tcp,self --mca btl_tcp_if_include "$subnet.0/24")

echo "== sumeuler across $hosts hosts"
"${mpi[@]}" "$binary" sumeuler --mpi --upper "$upper" --chunk "$chunk" --runs 1 --chart "$charts/sumeuler.svg"
echo "== nqueens across $hosts hosts"
"${mpi[@]}" "$binary" nqueens --mpi -n "$queens" --runs 1 --chart "$charts/nqueens.svg"
