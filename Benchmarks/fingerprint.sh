#!/usr/bin/env bash
# fingerprint.sh — prints the fingerprint of this machine as key=value lines: kernel, CPU
# model and count, memory, NUMA nodes, virtualisation, swift version, connbench's git
# commit, the date (UTC), the host namespace's port sysctls, RLIMIT_NOFILE, and how busy
# the machine was when it ran (load average, CPU busy over one second, host TIME_WAIT
# sockets, other connbench processes running) — so a reference run can be read against the machine and the moment
# that made it.
# Read-only: it changes nothing. Benchmarks/refresh-results.sh writes its output to each
# Results/<name>/fingerprint.txt; Benchmarks/results-table.py reads it.
#
# usage: Benchmarks/fingerprint.sh [-c COMMAND] [> FILE]
#   -c  the command the folder was made with (printed as command=…; optional)
set -euo pipefail
cmd=""
while getopts "c:" o; do
  case $o in c) cmd=$OPTARG ;; *) exit 2 ;; esac
done
repo=$(cd "$(dirname "$0")/.." && pwd)

one() { tr '\n' ' ' | sed 's/[[:space:]]*$//'; }                  # a value on one line
sysctl_of() { cat "/proc/sys/$1" 2>/dev/null | tr -s '[:space:]' ' ' | sed 's/ $//' || echo "?"; }

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
[ -n "$cpu_model" ] || cpu_model=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
cpus_online=$(getconf _NPROCESSORS_ONLN)
mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
numa_nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
# Virtualisation, from every source that answers: a container runtime (systemd-detect-virt
# names the innermost layer), /sys/hypervisor, lscpu's hypervisor vendor, cpuinfo's flag.
virt=""
if command -v systemd-detect-virt >/dev/null 2>&1; then
  virt="detect-virt:$(systemd-detect-virt 2>/dev/null || true)"
fi
[ -r /sys/hypervisor/type ] && virt="$virt hypervisor:$(cat /sys/hypervisor/type)"
hv=$(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n1 || true)
[ -n "$hv" ] && virt="$virt lscpu:$hv"
grep -qw hypervisor /proc/cpuinfo && virt="$virt cpuinfo:hypervisor-flag"
[ -n "$virt" ] || virt="none detected"
swift_version=$(swift --version 2>/dev/null | head -n1 || echo "?")
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo "?")
if [ "$commit" != "?" ] && ! git -C "$repo" diff --quiet HEAD -- Sources Package.swift 2>/dev/null; then
  commit="$commit+dirty"
fi
# The share of all CPUs' time that was busy over one second (from /proc/stat).
cpu_busy() {
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  echo "$a $b" | awk '{busy = $3 - $1; idle = $4 - $2; printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0}'
}
busy=$(cpu_busy)
time_wait=$(awk 'NR > 1 && $4 == "06" {n++} END {print n + 0}' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
others=$(pgrep -x connbench 2>/dev/null | wc -l || true)

[ -n "$cmd" ] && echo "command=$cmd"
echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "hostname=$(uname -n)"
echo "kernel_release=$(uname -r)"
echo "arch=$(uname -m)"
echo "cpu_model=$cpu_model"
echo "cpus_online=$cpus_online"
echo "cpu_list=$(cat /sys/devices/system/cpu/online 2>/dev/null || echo '?')"
echo "mem_total_mib=$((mem_kib / 1024))"
echo "numa_nodes=$numa_nodes"
echo "virtualization=$(echo "$virt" | sed 's/^ //')"
echo "swift=$swift_version"
echo "connbench_commit=$commit"
echo "ip_local_port_range=$(sysctl_of net/ipv4/ip_local_port_range)"
echo "tcp_tw_reuse=$(sysctl_of net/ipv4/tcp_tw_reuse)"
echo "somaxconn=$(sysctl_of net/core/somaxconn)"
echo "rlimit_nofile=$(ulimit -Sn) soft, $(ulimit -Hn) hard"
echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "cpu_busy_pct=$busy"
echo "host_time_wait=$time_wait"
echo "other_connbench_processes=$others"
