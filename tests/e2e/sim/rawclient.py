#!/usr/bin/python3
"""Raw Modbus client for the iot-sim end-to-end tests: sends one request and
prints what came back, byte for byte, so a test can see faults a real client
library would hide (bad CRC, garbage, wrong transaction id, split frames).

usage: rawclient.py MODE WHERE PDU_HEX [--unit N] [--tid N] [--timeout S] [--idle S] [--count N]
  MODE  tcp | rtu+tcp | udp (WHERE = host:port) or rtu | ascii (WHERE = pty path)
Prints one JSON object per request: {"hex": reply, "ms": time to the first byte,
"gaps_ms": [pauses between reads above 20 ms], "closed": bool, "crc_ok": bool}.
"""
import argparse, json, os, select, socket, sys, termios, time, tty


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def lrc(data):
    return (-sum(data)) & 0xFF


def frame(mode, unit, pdu, tid):
    if mode in ("tcp", "udp"):
        return tid.to_bytes(2, "big") + b"\0\0" + (len(pdu) + 1).to_bytes(2, "big") + bytes([unit]) + pdu
    if mode == "ascii":
        body = bytes([unit]) + pdu
        return b":" + (body + bytes([lrc(body)])).hex().upper().encode() + b"\r\n"
    body = bytes([unit]) + pdu
    return body + crc16(body).to_bytes(2, "little")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("where")
    ap.add_argument("pdu")
    ap.add_argument("--unit", type=int, default=1)
    ap.add_argument("--tid", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--idle", type=float, default=0.3)
    ap.add_argument("--count", type=int, default=1)
    a = ap.parse_args()
    pdu = bytes.fromhex(a.pdu)
    if a.mode in ("tcp", "rtu+tcp", "udp"):
        host, port = a.where.rsplit(":", 1)
        kind = socket.SOCK_DGRAM if a.mode == "udp" else socket.SOCK_STREAM
        s = socket.socket(socket.AF_INET, kind)
        s.connect((host, int(port)))
        send, recv, fd = s.send, lambda: s.recv(4096), s.fileno()
    else:
        fd = os.open(a.where, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
        send, recv = (lambda b: os.write(fd, b)), (lambda: os.read(fd, 4096))
    for i in range(a.count):
        req = frame(a.mode, a.unit, pdu, (a.tid + i) & 0xFFFF)
        t0 = time.monotonic()
        send(req)
        got, first, last, gaps, closed = b"", None, None, [], False
        deadline = t0 + a.timeout
        while True:
            now = time.monotonic()
            limit = deadline if first is None else min(deadline, last + a.idle)
            if now >= limit:
                break
            r, _, _ = select.select([fd], [], [], limit - now)
            if not r:
                break
            try:
                chunk = recv()
            except OSError:
                chunk = b""
            if not chunk:
                closed = True
                break
            now = time.monotonic()
            if first is None:
                first = now
            elif now - last > 0.02:
                gaps.append(round((now - last) * 1000, 1))
            last = now
            got += chunk
        out = {"hex": got.hex(), "closed": closed, "gaps_ms": gaps}
        if first is not None:
            out["ms"] = round((first - t0) * 1000, 1)
        if a.mode in ("rtu", "rtu+tcp") and len(got) >= 4:
            out["crc_ok"] = crc16(got) == 0
        print(json.dumps(out), flush=True)
        if closed:
            break


if __name__ == "__main__":
    main()
