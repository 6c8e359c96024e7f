#!/usr/bin/env python3
"""Compares `iot-decode pcap` records with tshark's Modbus dissector.

For every Modbus/TCP ADU tshark finds in the capture, the records must agree on
transaction id, unit, function code, reference (address), register values and
exception code, in the same order. Usage: compare-tshark.py CAPTURE RECORDS.jsonl
"""
import json
import subprocess
import sys


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def tshark_adus(capture):
    out = subprocess.run(["tshark", "-r", capture, "-Y", "mbtcp", "-T", "json", "--no-duplicate-keys", "-o", "mbtcp.desegment:TRUE"],
                         check=True, capture_output=True, text=True).stdout
    adus = []
    for packet in json.loads(out):
        layers = packet["_source"]["layers"]
        mbtcps = as_list(layers.get("mbtcp"))
        modbuses = as_list(layers.get("modbus"))
        if len(modbuses) < len(mbtcps):
            sys.exit(f"tshark: packet {layers['frame']['frame.number']}: fewer Modbus PDUs than MBAP headers")
        for i, m in enumerate(mbtcps):
            pdu = modbuses[i] if i < len(modbuses) else {}
            fc = int(pdu.get("modbus.func_code", "-1"))
            adu = {"tid": int(m["mbtcp.trans_id"]), "unit": int(m["mbtcp.unit_id"]), "fc": fc & 0x7F}
            if "modbus.exception_code" in pdu:
                adu["exception"] = int(pdu["modbus.exception_code"])
            if "modbus.reference_num" in pdu:
                adu["addr"] = int(pdu["modbus.reference_num"])
            elif "modbus.read_reference_num" in pdu:
                adu["addr"] = int(pdu["modbus.read_reference_num"])
            values, first_register = [], None
            for key, val in pdu.items():
                # Register values appear as "Register N (UINT16): V" subtrees.
                if key.startswith("Register ") and isinstance(val, dict):
                    values.append(int(val["modbus.regval_uint16"]))
                    if first_register is None:
                        first_register = int(val["modbus.regnum16"])
            if first_register is not None and "addr" not in adu:
                adu["addr"] = first_register
            if not values and fc in (3, 4, 6, 23) and "modbus.data" in pdu:
                raw = bytes.fromhex(pdu["modbus.data"].replace(":", ""))
                values = [raw[i] << 8 | raw[i + 1] for i in range(0, len(raw) - 1, 2)]
            if values:
                adu["values"] = values
            adus.append(adu)
    return adus


def iot_adus(records):
    adus = []
    for line in open(records, encoding="utf-8"):
        r = json.loads(line)
        if r.get("kind") != "frame" or r.get("framing") != "tcp":
            continue
        adu = {"tid": r["tid"], "unit": r["unit"], "fc": r["fc"]}
        if "exception" in r:
            adu["exception"] = r["exception"]["code"]
        if "addr" in r and r["fc"] in (1, 2, 3, 4, 5, 6, 15, 16, 22, 23):
            adu["addr"] = r["addr"]
        vals = [v for v in r.get("values", []) if not isinstance(v, bool)]
        if r["fc"] == 23 and r.get("direction") == "request":
            vals = r.get("write_values", [])  # tshark shows the FC 23 request's write block as data
        if vals and r["fc"] in (3, 4, 6, 16, 23):
            adu["values"] = vals
        adus.append(adu)
    return adus


def main():
    capture, records = sys.argv[1], sys.argv[2]
    theirs, ours = tshark_adus(capture), iot_adus(records)
    if len(theirs) != len(ours):
        sys.exit(f"tshark found {len(theirs)} Modbus/TCP ADUs, iot-decode {len(ours)}")
    for n, (t, o) in enumerate(zip(theirs, ours), 1):
        for key in ("tid", "unit", "fc", "exception"):
            if t.get(key) != o.get(key):
                sys.exit(f"ADU {n}: {key} differs: tshark {t.get(key)}, iot-decode {o.get(key)}\n{t}\n{o}")
        if "addr" in t and t["addr"] != o.get("addr"):
            sys.exit(f"ADU {n}: reference differs: tshark {t['addr']}, iot-decode {o.get('addr')}\n{t}\n{o}")
        if "values" in t and t["values"] != o.get("values"):
            sys.exit(f"ADU {n}: register values differ: tshark {t['values']}, iot-decode {o.get('values')}")
    print(f"{len(ours)} ADUs agree with tshark")


if __name__ == "__main__":
    main()
