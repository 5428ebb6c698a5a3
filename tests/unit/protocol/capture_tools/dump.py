#!/usr/bin/python3
"""Prints a relay log as alternating client/server runs, frame by frame (for choosing
which exchanges go into captures.hpp).   dump.py LOG.jsonl"""
import json
import sys


def runs(path):
    out = []
    for line in open(path):
        e = json.loads(line)
        data = bytes.fromhex(e["hex"])
        if out and out[-1][0] == e["dir"]:
            out[-1] = (e["dir"], out[-1][1] + data)
        else:
            out.append((e["dir"], data))
    return out


def frames(data):
    p = 0
    while p + 4 <= len(data):
        n = int.from_bytes(data[p:p + 3], "little")
        yield data[p + 3], data[p + 4:p + 4 + n]
        p += 4 + n


if __name__ == "__main__":
    for i, (d, data) in enumerate(runs(sys.argv[1])):
        print(f"[{i}] {d} {len(data)} bytes")
        for seq, payload in frames(data):
            print(f"    seq={seq} len={len(payload)} {payload[:70]!r}")
