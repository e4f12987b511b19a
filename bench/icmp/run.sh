#!/bin/bash
# Runs the icmp probe benchmarks next to fping and oping, in namespaces this script creates
# (named with its pid, deleted on exit): loopback (datagram and raw sockets), flat out, and
# through a veth pair whose far end is our responder adding 5 ms (then 5 ms + 10 % loss), with
# a packet capture on the veth to measure RTT accuracy.
#   bench/icmp/run.sh BUILD_DIR [SECONDS] [SECTIONS]
# SECTIONS (default all): "loopback realtime flat veth accuracy loss"
# Needs root (namespaces), fping, oping, tcpdump, python3. Figures: docs/ICMP.md.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
seconds=${2:-10}
sections=${3:-loopback realtime flat veth accuracy loss}
want() { [[ " $sections " == *" $1 "* ]]; }
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bin/icmp_bench
responder=$build/bin/zzp_icmp_impair_responder
lo=zzpbench-lo-$$ p=zzpbench-p-$$ r=zzpbench-r-$$
work=$(mktemp -d /tmp/zzp-icmp-bench.XXXXXX)
cleanup() {
  [ -n "${responder_pid:-}" ] && kill "$responder_pid" 2>/dev/null || true
  [ -n "${tcpdump_pid:-}" ] && kill "$tcpdump_pid" 2>/dev/null || true
  for ns in $lo $p $r; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo "== $(fping -v 2>&1 | head -1); $(oping -h 2>&1 | grep -o 'oping [0-9.]*' | head -1)"

# --- loopback, in a namespace of our own where ping sockets are allowed ---------------------
ip netns add $lo
ip -n $lo link set lo up
ip netns exec $lo sysctl -qw net.ipv4.ping_group_range="0 2147483647"
if want loopback; then
  for mode in dgram raw; do
    echo "== loopback, $mode sockets"
    ip netns exec $lo "$bench" --mode $mode --seconds "$seconds" 1x100 1x1000 100x10
  done
fi
if want realtime; then
  for mode in dgram raw; do
    echo "== loopback, realtime sender (sender_priority = 10), $mode sockets"
    ip netns exec $lo "$bench" --mode $mode --priority 10 --seconds "$seconds" 1x100 1x1000 100x10
  done
fi
if want flat; then
  echo "== loopback flat out: 200 targets x 1000/s asked (normal, then realtime sender)"
  ip netns exec $lo "$bench" --mode raw --peers none --seconds 5 200x1000
  ip netns exec $lo "$bench" --mode raw --peers none --priority 10 --seconds 5 200x1000
fi

# --- through a veth pair to our responder: 5 ms, then 5 ms + 10 % loss ---------------------
ip netns add $p
ip netns add $r
ip -n $p link set lo up
ip -n $r link set lo up
ip -n $p link add zbp$$ type veth peer name zbr$$ netns $r
ip -n $p addr add 10.77.0.1/24 dev zbp$$
ip -n $r addr add 10.77.0.2/24 dev zbr$$
ip -n $p link set zbp$$ up
ip -n $r link set zbr$$ up
ip netns exec $p sysctl -qw net.ipv4.ping_group_range="0 2147483647"
ip netns exec $r sysctl -qw net.ipv4.icmp_echo_ignore_all=1

start_responder() {  # args for the responder
  [ -n "${responder_pid:-}" ] && kill "$responder_pid" 2>/dev/null && wait "$responder_pid" 2>/dev/null || true
  ip netns exec $r "$responder" --duration-ms 100000000 "$@" > "$work/responder.out" &
  responder_pid=$!
  sleep 0.5
}

start_responder --delay-us 5000 --jitter-us 0
if want veth; then
  echo "== veth, responder adds 5 ms"
  ip netns exec $p "$bench" --seconds "$seconds" --base 10.77.0. --targets-from 2 1x100 1x1000
fi

if want accuracy; then
echo "== RTT accuracy vs a packet capture on the veth (1 x 100/s, 5 ms)"
tsarg="-j adapter_unsynced"
ip netns exec $p tcpdump -J -i zbp$$ 2>/dev/null | grep -q adapter_unsynced || tsarg=""
echo "   capture timestamps: ${tsarg:-kernel default (adapter_unsynced not offered by veth)}"
for mode in dgram raw; do
  ip netns exec $p tcpdump -i zbp$$ $tsarg --time-stamp-precision=nano -w "$work/capture-$mode.pcap" -U icmp \
    2>"$work/tcpdump.err" &
  tcpdump_pid=$!
  sleep 1
  ip netns exec $p "$bench" --peers none --seconds "$seconds" --base 10.77.0. --targets-from 2 \
    --dump-rtt "$work/rtt-$mode.txt" --mode $mode 1x100
  sleep 0.5
  kill -INT $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
  tcpdump_pid=
  echo "   $mode sockets:"
  python3 "$here/rtt_vs_capture.py" "$work/capture-$mode.pcap" "$work/rtt-$mode.txt"
done
fi

if want loss; then
  start_responder --delay-us 5000 --jitter-us 0 --drop 0.1
  echo "== veth, responder adds 5 ms and drops 10 %"
  ip netns exec $p "$bench" --seconds "$seconds" --base 10.77.0. --targets-from 2 1x100 1x1000
fi
