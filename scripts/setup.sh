#!/usr/bin/env bash
# Installs what HeapPack's build and tests need beyond the Swift toolchain, and only what is
# missing. Every script that builds calls this first, so a fresh machine needs no manual steps.
set -euo pipefail

# Debian packages the build or the tests need beyond the toolchain (the AddressSanitizer
# runtime ships with the toolchain):
# - binutils: `strip`, for the test that names closures in a stripped binary.
# - libunwind-dev: the reader checks that every code pointer in a packet is a function's entry
#   with libunwind's unw_get_proc_info_by_ip (CSupport/CLibunwind), and a crashing cluster
#   worker reports its stack with it (CSupport/CHeapPackCluster).
# - libxxhash-dev: the packet checksum is XXH3-64 (CSupport/CXXHash), by xxHash's entry points
#   that pick the machine's widest vector unit.
# - openmpi-bin, libopenmpi-dev, pkg-config: HeapPackCluster's MPI transport (the MPI package
#   trait), which the debug test run builds and runs under mpiexec; SwiftPM finds Open MPI's
#   headers and library through pkg-config (ompi-c).
packages=(binutils libunwind-dev libxxhash-dev openmpi-bin libopenmpi-dev pkg-config)

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (6.0 or newer) must be on PATH; see https://www.swift.org/install/linux/" >&2
    exit 1
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
fi
