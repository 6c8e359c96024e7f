#!/usr/bin/python3
"""A pymodbus server with known registers for the iot-poll end-to-end tests.

  pymodbus_server.py tcp PORT        Modbus/TCP on 127.0.0.1:PORT
  pymodbus_server.py rtu+tcp PORT    RTU framing over TCP on 127.0.0.1:PORT
  pymodbus_server.py udp PORT        MBAP over UDP
  pymodbus_server.py rtu DEVICE BAUD RTU on a serial line (one end of a pty pair)
  pymodbus_server.py --expect        prints the expected values as JSON (for the tests)

Units 1 and 2 serve the same map. Addresses are zero-based (zero_mode).
Device identification (FC 2B/0E, FC 11): IDENTITY below, with extended objects 0x80, 0x81.
"""
import json
import logging
import struct
import sys

# name, type, order, address, value: every type in every order.
VALUES = []
addr = 0
for typ, fmt, val in [("u32", ">I", 0x12345678), ("i32", ">i", -123456), ("f32", ">f", 1.5),
                      ("u64", ">Q", 0x0102030405060708), ("i64", ">q", -2), ("f64", ">d", -2.25)]:
    for order in ("ABCD", "CDAB", "BADC", "DCBA"):
        VALUES.append((f"{typ}_{order}", typ, order, addr, val, fmt))
        addr += struct.calcsize(fmt) // 2
SINGLE = [("u16", "u16", 1234, ">H"), ("i16", "i16", -2, ">h"), ("f16", "f16", 1.5, ">e"), ("bcd16", "bcd16", 0x1234, ">H")]
for name, typ, val, fmt in SINGLE:
    VALUES.append((name, typ, "ABCD", addr, val, fmt))
    addr += 1
SCALED_ADDR = addr      # raw 250: decimals 1 -> 25.0; zero 50 + scale 0.5 -> 100.0
STRING_ADDR = addr + 1  # "HELLO!" in 3 registers
SIZE = addr + 8


# Read Device Identification objects: basic 0x00-0x02, regular 0x03-0x06, extended 0x80+.
IDENTITY = {0x00: "PyModbusVendor", 0x01: "PM-E2E", 0x02: "3.0", 0x03: "https://example.invalid/pm",
            0x04: "pymodbus test server", 0x05: "E2E-1", 0x06: "iot tests", 0x80: "extended-one",
            0x81: "extended-two"}


def words_for(order, fmt, val):
    data = struct.pack(fmt, val)
    words = [data[i:i + 2] for i in range(0, len(data), 2)]
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    if order in ("CDAB", "DCBA"):
        words = words[::-1]
    return [int.from_bytes(w, "big") for w in words]


def registers():
    regs = [0] * SIZE
    for _name, _typ, order, a, val, fmt in VALUES:
        for i, w in enumerate(words_for(order, fmt, val)):
            regs[a + i] = w
    regs[SCALED_ADDR] = 250
    for i, w in enumerate([0x4845, 0x4C4C, 0x4F21]):
        regs[STRING_ADDR + i] = w
    return regs


def expected():
    out = {"values": [], "scaled_addr": SCALED_ADDR, "string_addr": STRING_ADDR}
    for name, typ, order, a, val, _fmt in VALUES:
        v = 1234 if typ == "bcd16" else val
        out["values"].append({"name": name, "type": typ, "order": order, "addr": a, "value": v})
    return out


def main():
    if sys.argv[1] == "--expect":
        print(json.dumps(expected()))
        return
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.device import ModbusDeviceIdentification
    from pymodbus.server import StartSerialServer, StartTcpServer, StartUdpServer
    from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

    logging.basicConfig(level=logging.ERROR)
    regs = registers()
    slaves = {}
    for unit in (1, 2):
        slaves[unit] = ModbusSlaveContext(
            di=ModbusSequentialDataBlock(0, [1, 1, 0, 0, 1, 0, 0, 0]),
            co=ModbusSequentialDataBlock(0, [1, 0, 1, 1, 0, 0, 0, 1] + [0] * 8),
            hr=ModbusSequentialDataBlock(0, list(regs) + [0] * 64),
            ir=ModbusSequentialDataBlock(0, [10, 20, 30, 40] + [0] * 60),
            zero_mode=True)
    context = ModbusServerContext(slaves=slaves, single=False)
    identity = ModbusDeviceIdentification(info=IDENTITY)
    kind = sys.argv[1]
    print("ready", flush=True)
    if kind == "tcp":
        StartTcpServer(context=context, identity=identity, address=("127.0.0.1", int(sys.argv[2])),
                       framer=ModbusSocketFramer)
    elif kind == "rtu+tcp":
        StartTcpServer(context=context, identity=identity, address=("127.0.0.1", int(sys.argv[2])),
                       framer=ModbusRtuFramer)
    elif kind == "udp":
        StartUdpServer(context=context, identity=identity, address=("127.0.0.1", int(sys.argv[2])),
                       framer=ModbusSocketFramer)
    elif kind == "rtu":
        StartSerialServer(context=context, identity=identity, framer=ModbusRtuFramer, port=sys.argv[2],
                          baudrate=int(sys.argv[3]),
                          bytesize=8, parity="N", stopbits=1, timeout=0.005)
    else:
        sys.exit("unknown transport " + kind)


if __name__ == "__main__":
    main()
