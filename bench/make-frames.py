#!/usr/bin/env python3
"""Benchmark inputs: N Modbus RTU frames (request/response pairs) as hex lines,
the same traffic as a Modbus TCP capture, and N reading records with 2-word raw
values. Usage: make-frames.py DIR N"""
import random
import struct
import sys
from pathlib import Path

out, n = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)

table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    table.append(c)


def crc(d):
    c = 0xFFFF
    for b in d:
        c = (c >> 8) ^ table[(c ^ b) & 0xFF]
    return bytes([c & 0xFF, c >> 8])


pairs = []
for _ in range(1000):
    unit, addr, count = rng.randint(1, 247), rng.randint(0, 1000), rng.randint(1, 20)
    req = bytes([unit, 3, addr >> 8, addr & 255, 0, count])
    rsp = bytes([unit, 3, 2 * count]) + bytes(rng.randint(0, 255) for _ in range(2 * count))
    pairs.append((req, rsp))

with open(out / "frames.hex", "w") as f:
    lines = []
    for req, rsp in pairs:
        lines.append((req + crc(req)).hex(" "))
        lines.append((rsp + crc(rsp)).hex(" "))
    block = "\n".join(lines) + "\n"
    for _ in range(n // len(lines)):
        f.write(block)

with open(out / "frames.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    seq = {0: 1000, 1: 5000}
    t = 1795248000.0
    tid = 0
    def packet(side, payload):
        global t
        t += 0.0001
        sp, dp = (40000, 502) if side == 0 else (502, 40000)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq[side], seq[1 - side], 0x50, 0x18, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0,
                         bytes([10, 0, 0, 1 + side]), bytes([10, 0, 0, 2 - side]))
        eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
        data = eth + ip + tcp + payload
        sec = int(t)
        f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(data), len(data)) + data)
        seq[side] += len(payload)
    for i in range(n // 2):
        req, rsp = pairs[i % len(pairs)]
        tid = (tid + 1) & 0xFFFF
        packet(0, struct.pack(">HHH", tid, 0, len(req)) + req)
        packet(1, struct.pack(">HHH", tid, 0, len(rsp)) + rsp)

with open(out / "words.jsonl", "w") as f:
    recs = []
    for i in range(1000):
        w1, w2 = rng.randint(0, 65535), rng.randint(0, 65535)
        recs.append('{"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d%d","point":"p","value":0,"raw":[%d,%d],"quality":"ok"}' % (i % 10, w1, w2))
    block = "\n".join(recs) + "\n"
    for _ in range(n // 1000):
        f.write(block)
