#!/usr/bin/env python3
"""Writes the bundled example captures (deterministic, stdlib only).

modbus-tcp.pcap   mixed Modbus TCP traffic between two masters and a gateway
                  on port 502: every common function code, exceptions, several
                  unit ids, pipelined transactions, an ADU split across two TCP
                  segments and two ADUs in one segment.
rtu-over-tcp.pcap RTU frames carried over TCP port 4001 (a serial device server).
serial-rtu.pcap   RTU frames as an RS-485 sniffer writes them (link type 147).
"""
import struct
import sys
from pathlib import Path

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
T0 = 1795248000  # 2026-11-21T08:00:00Z


def crc16(data: bytes) -> bytes:
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data)//2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class PcapWriter:
    def __init__(self, path: Path, linktype: int):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))

    def packet(self, t: float, data: bytes):
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        self.f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
        self.f.write(data)

    def close(self):
        self.f.close()


class TcpFlow:
    """One TCP connection; writes Ethernet/IPv4/TCP frames with correct sequence numbers."""

    def __init__(self, w, cli, srv, cport, sport, t):
        self.w, self.cli, self.srv, self.cport, self.sport = w, cli, srv, cport, sport
        self.seq = {0: 1000, 1: 5000}  # 0 = client side, 1 = server side
        self.t = t
        self.ipid = 1
        self.send(0, b"", 0x02)
        self.seq[0] += 1
        self.send(1, b"", 0x12)
        self.seq[1] += 1
        self.send(0, b"", 0x10)

    def send(self, side, payload, flags=0x18, dt=0.0005):
        self.t += dt
        src, dst = (self.cli, self.srv) if side == 0 else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if side == 0 else (self.sport, self.cport)
        ack = self.seq[1 - side] if flags & 0x10 else 0
        tcp = struct.pack("!HHIIBBHHH", sp, dp, self.seq[side], ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = bytes(map(int, src.split("."))) + bytes(map(int, dst.split("."))) + struct.pack(
            "!BBH", 0, 6, len(tcp) + len(payload))
        csum = checksum(pseudo + tcp + payload)
        tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), self.ipid, 0x4000, 64, 6, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
        self.ipid += 1
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        eth = bytes.fromhex("020000000002020000000001" if side == 0 else "020000000001020000000002") + b"\x08\x00"
        self.w.packet(self.t, eth + ip + tcp + payload)
        self.seq[side] += len(payload)

    def close(self):
        self.send(0, b"", 0x11)
        self.seq[0] += 1
        self.send(1, b"", 0x11)
        self.seq[1] += 1
        self.send(0, b"", 0x10)


def mbap(tid, unit, pdu):
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def regs(*v):
    return b"".join(struct.pack(">H", x) for x in v)


# (unit, request PDU, response PDU)
TRANSACTIONS = [
    (1, bytes.fromhex("0300000004"), bytes.fromhex("0308") + regs(0, 0, 0, 0)),
    (1, bytes.fromhex("03006B0003"), bytes.fromhex("0306") + regs(0x022B, 0, 0x64)),
    (1, bytes.fromhex("0400080001"), bytes.fromhex("0402000A")),
    (2, bytes.fromhex("010013000A"), bytes.fromhex("0102CD01")),
    (2, bytes.fromhex("0200C40016"), bytes.fromhex("0203ACDB35")),
    (2, bytes.fromhex("0500ACFF00"), bytes.fromhex("0500ACFF00")),
    (3, bytes.fromhex("0600010003"), bytes.fromhex("0600010003")),
    (3, bytes.fromhex("0F0013000A02CD01"), bytes.fromhex("0F0013000A")),
    (3, bytes.fromhex("100001000204000A0102"), bytes.fromhex("1000010002")),
    (4, bytes.fromhex("16000400F20025"), bytes.fromhex("16000400F20025")),
    (4, bytes.fromhex("1700030006000E000306") + regs(0xFF, 0xFF, 0xFF),
     bytes.fromhex("170C") + regs(0xFE, 0xACD, 1, 3, 0xD, 0xFF)),
    (5, bytes.fromhex("0300640002"), bytes.fromhex("8302")),          # illegal data address
    (5, bytes.fromhex("0700"), bytes.fromhex("8701")),                # illegal function (07 not served)
    (6, bytes.fromhex("0300000001"), bytes.fromhex("830B")),          # gateway target failed to respond
    (7, bytes.fromhex("0301000002"), bytes.fromhex("8306")),          # busy
    (7, bytes.fromhex("0300C8000A"), bytes.fromhex("0314") + regs(*range(100, 110))),
    (1, bytes.fromhex("2B0E0100"), bytes.fromhex("2B0E0101000003") + b"\x00\x04Iot." + b"\x01\x03SIM" + b"\x02\x050.1.0"),
    (8, bytes.fromhex("0300000078"), bytes.fromhex("03F0") + regs(*range(120))),   # long: split across segments
]


def write_tcp():
    w = PcapWriter(OUT / "modbus-tcp.pcap", 1)
    f = TcpFlow(w, "192.168.10.5", "192.168.10.20", 50123, 502, T0)
    tid = 1
    for unit, req, rsp in TRANSACTIONS:
        f.send(0, mbap(tid, unit, req))
        adu = mbap(tid, unit, rsp)
        if len(adu) > 200:
            f.send(1, adu[:100], dt=0.004)
            f.send(1, adu[100:], dt=0.001)
        else:
            f.send(1, adu, dt=0.004)
        tid += 1
    # Pipelined: two requests in one segment, then two responses in one segment.
    f.send(0, mbap(100, 1, bytes.fromhex("0300000002")) + mbap(101, 2, bytes.fromhex("0400000001")))
    f.send(1, mbap(100, 1, bytes.fromhex("0304") + regs(11, 22)) + mbap(101, 2, bytes.fromhex("0402") + regs(33)),
           dt=0.005)
    f.close()
    # A second master on another connection.
    g = TcpFlow(w, "192.168.10.6", "192.168.10.20", 40200, 502, f.t + 0.01)
    for tid in range(1, 4):
        g.send(0, mbap(tid, 9, bytes.fromhex("0300000003")))
        g.send(1, mbap(tid, 9, bytes.fromhex("0306") + regs(tid, tid * 2, tid * 3)), dt=0.002)
    g.close()
    w.close()


def write_rtu_over_tcp():
    w = PcapWriter(OUT / "rtu-over-tcp.pcap", 1)
    f = TcpFlow(w, "192.168.10.5", "192.168.10.30", 50200, 4001, T0 + 60)
    for unit, req, rsp in TRANSACTIONS[:10]:
        f.send(0, bytes([unit]) + req + crc16(bytes([unit]) + req))
        f.send(1, bytes([unit]) + rsp + crc16(bytes([unit]) + rsp), dt=0.02)
    f.close()
    w.close()


def write_serial():
    w = PcapWriter(OUT / "serial-rtu.pcap", 147)
    t = T0 + 120
    for unit, req, rsp in TRANSACTIONS[:12]:
        a = bytes([unit]) + req
        w.packet(t, a + crc16(a))
        t += 0.03
        b = bytes([unit]) + rsp
        frame = b + crc16(b)
        if unit == 3 and req[0] == 0x10:
            frame = frame[:-1] + bytes([frame[-1] ^ 0x55])  # a corrupted reply: CRC fails
        w.packet(t, frame)
        t += 0.05
    w.close()


if __name__ == "__main__":
    write_tcp()
    write_rtu_over_tcp()
    write_serial()
