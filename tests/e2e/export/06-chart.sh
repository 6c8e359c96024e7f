#!/usr/bin/env bash
# chart: SVG, PNG and PDF by extension, with lines, limits and alarm shading.
. "$IOT_SOURCE/tests/lib.sh"
"$IOT_SOURCE/tests/e2e/export/gen-records" 20000 --events >"$T/in.jsonl"
iot-export chart "$T/in.jsonl" -o "$T/c.png" --device ctrl1 --point ch1 --point ch2 --width 800 --height 400
iot-export chart "$T/in.jsonl" -o "$T/c.svg" --device ctrl1 --title "Gas levels"
iot-export chart "$T/in.jsonl" -o "$T/c.pdf"
assert_eq "$(/usr/bin/python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(d[:8]==b"\x89PNG\r\n\x1a\n", *struct.unpack(">II", d[16:24]))' "$T/c.png")" \
  "True 800 400" "PNG header and size"
# The PNG has red alarm shading and is not blank.
/usr/bin/python3 - "$T/c.png" <<'PY'
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    if typ == b"IHDR": w, h = struct.unpack(">II", data[pos + 8:pos + 16])
    if typ == b"IDAT": idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
colors = set()
bpp = (len(raw) // h - 1) // w  # bytes per pixel as cairo wrote them
for y in range(0, h, 7):
    line = raw[y * (w * bpp + 1) + 1:(y + 1) * (w * bpp + 1)]
    for x in range(0, w * bpp, bpp * 5):
        colors.add(tuple(line[x:x + 3]))
assert len(colors) > 10, f"only {len(colors)} colours: blank chart?"
PY
grep -q "<svg" "$T/c.svg" || fail "not an SVG"
assert_contains "$(head -c 5 "$T/c.pdf")" "%PDF-"
need pdftotext
text=$(pdftotext "$T/c.pdf" -)
assert_contains "$text" "ctrl1/ch1 (%LEL)"
assert_contains "$text" "more"   # 32 lines: the legend says how many it leaves out
assert_contains "$text" "HH 90"  # the alarm limit
assert_status 2 iot-export chart "$T/in.jsonl" -o "$T/c.gif"
