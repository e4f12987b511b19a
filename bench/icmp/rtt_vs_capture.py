#!/usr/bin/env python3
"""Compares the probe's RTTs with a packet capture of the same echoes.

usage: rtt_vs_capture.py CAPTURE.pcap RTT.txt
CAPTURE.pcap: tcpdump -w with nanosecond timestamps, Ethernet, IPv4 ICMP (one target).
RTT.txt: lines "seq rtt_ns" from icmp_bench --dump-rtt.
Wire RTT = reply capture time - request capture time, matched by the 16-bit ICMP sequence
(datagram sockets rewrite the identifier, so it is not used). Prints the error distribution.
"""
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B23C4D:
        scale = 1
    elif magic == 0xA1B2C3D4:
        scale = 1000
    else:
        sys.exit("not a little-endian pcap file: %s" % path)
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[pos:pos + 16])
        yield sec * 1_000_000_000 + frac * scale, data[pos + 16:pos + 16 + incl]
        pos += 16 + incl


def main():
    requests, replies = {}, {}
    for ts, frame in read_pcap(sys.argv[1]):
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ihl = (frame[14] & 0x0F) * 4
        icmp = frame[14 + ihl:]
        if frame[14 + 9] != 1 or len(icmp) < 8:
            continue
        seq = struct.unpack(">H", icmp[6:8])[0]
        if icmp[0] == 8:
            requests.setdefault(seq, ts)
        elif icmp[0] == 0:
            replies.setdefault(seq, ts)
    errors = []
    with open(sys.argv[2]) as f:
        for line in f:
            seq, rtt = (int(x) for x in line.split())
            s16 = seq & 0xFFFF
            if s16 in requests and s16 in replies:
                errors.append(rtt - (replies[s16] - requests[s16]))
    if not errors:
        sys.exit("no echo matched between the capture and the probe's RTTs")
    errors.sort()
    absolute = sorted(abs(e) for e in errors)
    n = len(errors)
    print("   %d echoes matched; probe RTT - wire RTT: median %+.1f us, p1 %+.1f us, p99 %+.1f us; "
          "|error| median %.1f us, p99 %.1f us, max %.1f us" % (
              n, errors[n // 2] / 1e3, errors[n // 100] / 1e3, errors[n * 99 // 100] / 1e3,
              absolute[n // 2] / 1e3, absolute[n * 99 // 100] / 1e3, absolute[-1] / 1e3))


main()
