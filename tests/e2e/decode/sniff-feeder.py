#!/usr/bin/env python3
"""Feeds an RS-485-like byte stream into a pseudo-terminal for `iot-decode sniff`.

Creates a pty pair, prints the slave path on stdout, waits for a line on stdin
(the sniffer is listening), then writes request/response traffic the way a USB
adapter delivers it: random silences between frames, bursts that join several
frames in one read, frames split by adapter latency, garbage bytes, and frames
with a corrupted byte. Writes the list of frames it sent to MANIFEST as JSON
lines {"hex": ..., "intact": true|false}.
Usage: sniff-feeder.py MANIFEST SEED
"""
import json
import os
import random
import sys
import time
import tty


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def rtu(unit, pdu):
    body = bytes([unit]) + pdu
    return body + crc16(body)


def transaction(rng):
    unit = rng.randint(1, 247)
    kind = rng.choice(["03", "04", "06", "10", "01", "exc"])
    addr = rng.randint(0, 500)
    if kind in ("03", "04"):
        n = rng.randint(1, 30)
        req = bytes([int(kind, 16), addr >> 8, addr & 255, 0, n])
        rsp = bytes([int(kind, 16), 2 * n]) + bytes(rng.randint(0, 255) for _ in range(2 * n))
    elif kind == "06":
        req = rsp = bytes([6, addr >> 8, addr & 255, rng.randint(0, 255), rng.randint(0, 255)])
    elif kind == "10":
        n = rng.randint(1, 10)
        req = bytes([0x10, addr >> 8, addr & 255, 0, n, 2 * n]) + bytes(rng.randint(0, 255) for _ in range(2 * n))
        rsp = bytes([0x10, addr >> 8, addr & 255, 0, n])
    elif kind == "01":
        n = rng.randint(1, 40)
        req = bytes([1, addr >> 8, addr & 255, 0, n])
        rsp = bytes([1, (n + 7) // 8]) + bytes(rng.randint(0, 255) for _ in range((n + 7) // 8))
    else:
        req = bytes([3, addr >> 8, addr & 255, 0, 2])
        rsp = bytes([0x83, 2])
    return rtu(unit, req), rtu(unit, rsp)


def main():
    manifest_path, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    master, slave = os.openpty()
    tty.setraw(slave)
    print(os.ttyname(slave), flush=True)
    sys.stdin.readline()  # the sniffer is listening
    time.sleep(0.2)
    sent = []

    def send(chunks):
        for i, chunk in enumerate(chunks):
            os.write(master, chunk)
            if i + 1 < len(chunks):
                time.sleep(0.008)  # adapter latency inside a frame

    for i in range(120):
        req, rsp = transaction(rng)
        style = rng.random()
        if style < 0.15:
            # Noise hit the response: one byte flipped, isolated by silence.
            bad = bytearray(rsp)
            bad[rng.randrange(1, len(bad))] ^= 1 << rng.randrange(8)
            send([req]); sent.append((req, True)); time.sleep(0.05)
            send([bytes(bad)]); sent.append((bytes(bad), False)); time.sleep(0.05)
        elif style < 0.35:
            # A burst: request and response (and maybe the next request) in one read.
            req2, rsp2 = transaction(rng)
            send([req + rsp + req2]); sent += [(req, True), (rsp, True), (req2, True)]
            time.sleep(rng.uniform(0.01, 0.03))
            send([rsp2]); sent.append((rsp2, True))
        elif style < 0.5:
            # The response arrives in two pieces (USB latency), then silence.
            send([req]); sent.append((req, True)); time.sleep(rng.uniform(0.006, 0.02))
            cut = rng.randrange(1, len(rsp))
            send([rsp[:cut], rsp[cut:]]); sent.append((rsp, True))
        elif style < 0.6:
            # Garbage on the line, then a frame right behind it in the same read.
            junk = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 6)))
            time.sleep(0.02)
            send([junk + req]); sent.append((req, True)); time.sleep(0.02)
            send([rsp]); sent.append((rsp, True))
        else:
            send([req]); sent.append((req, True)); time.sleep(rng.uniform(0.006, 0.03))
            send([rsp]); sent.append((rsp, True))
        time.sleep(rng.uniform(0.006, 0.04))
    time.sleep(0.3)
    with open(manifest_path, "w") as f:
        for frame, intact in sent:
            f.write(json.dumps({"hex": frame.hex(), "intact": intact}) + "\n")
    print("done", flush=True)
    sys.stdin.readline()  # keep the pty open until the test is done


if __name__ == "__main__":
    main()
