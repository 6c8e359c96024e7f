#!/usr/bin/python3
# Writes demo-day.jsonl: one day (2026-11-21 UTC) of the demo gas plant as
# iot-poll would record it: 3 controllers on bus1, 4 points each, read every
# 5 minutes; a gas leak on ctrl2/ch3 that raises H then HH alarms, a
# temperature swing, and ctrl3 offline for 40 minutes. Deterministic.
import json, math, random
from datetime import datetime, timedelta, timezone

rng = random.Random(21)
start = datetime(2026, 11, 21, tzinfo=timezone.utc)
points = {
    "ctrl1": [("ch1", "%LEL"), ("ch2", "%LEL"), ("temp", "degC"), ("flow", "m3/h")],
    "ctrl2": [("ch1", "%LEL"), ("ch2", "%LEL"), ("ch3", "%LEL"), ("temp", "degC")],
    "ctrl3": [("co", "ppm"), ("h2s", "ppm"), ("temp", "degC"), ("pump", "")],
}
limits = {"H": 25.0, "HH": 50.0}
out = []
def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
def rec(t, kind, **fields):
    out.append((t, json.dumps({"ts": ts(t), "kind": kind, **fields}, separators=(",", ":"), ensure_ascii=False)))

alarm_level = None
offline = (timedelta(hours=13, minutes=10), timedelta(hours=13, minutes=50))
for step in range(288):
    base = start + timedelta(minutes=5 * step)
    hour = step / 12
    for unit, (device, pts) in enumerate(points.items(), start=1):
        t = base + timedelta(milliseconds=37 * unit + rng.randrange(0, 20))
        down = device == "ctrl3" and offline[0] <= t - start < offline[1]
        for addr, (point, uom) in enumerate(pts):
            tp = t + timedelta(milliseconds=addr * 4)
            if down:
                rec(tp, "reading", port="bus1", unit=unit, device=device, point=point, addr=f"hr:{addr}", value=None,
                    raw=[], uom=uom, quality="offline", error="device offline") if uom else None
                continue
            if point == "temp":
                v = round(12 + 8 * math.sin((hour - 9) / 24 * 2 * math.pi) + rng.uniform(-0.3, 0.3), 1)
            elif point == "flow":
                v = round(40 + 15 * (1 if 6 <= hour < 22 else 0) + rng.uniform(-2, 2), 1)
            elif point == "pump":
                v = 6 <= hour < 22
            elif device == "ctrl2" and point == "ch3":
                # A leak from 10:00, peaking at 11:00, repaired by 12:30.
                leak = max(0.0, 62 * math.exp(-((hour - 11.0) / 0.55) ** 2))
                v = round(1.5 + leak + rng.uniform(-0.4, 0.4), 1)
            elif uom == "ppm":
                v = round(3 + rng.uniform(0, 2) + (4 if 7 <= hour < 9 else 0), 1)
            else:
                v = round(1 + rng.uniform(0, 2.5), 1)
            raw = [int(v) if isinstance(v, bool) else int(round(v * 10)) & 0xFFFF]
            fields = dict(port="bus1", unit=unit, device=device, point=point, addr=f"hr:{addr}", value=v, raw=raw)
            if uom:
                fields["uom"] = uom
            fields["quality"] = "ok"
            if device == "ctrl2" and point == "ch3":
                level = "HH" if v >= limits["HH"] else "H" if v >= limits["H"] else None
                if alarm_level and level is None and v < limits["H"] - 2:  # deadband 2
                    rec(tp + timedelta(milliseconds=1), "alarm", device=device, point=point, state="cleared",
                        level=None, type="HH", value=v, limit=limits["H"], uom=uom)
                    alarm_level = None
                elif level and level != alarm_level and (alarm_level is None or level == "HH"):
                    rec(tp + timedelta(milliseconds=1), "alarm", device=device, point=point,
                        state="raised" if alarm_level is None else "level", level=level, type="HH", value=v,
                        limit=limits[level], uom=uom)
                    alarm_level = level
                if alarm_level:
                    fields["alarm"] = alarm_level
            rec(tp, "reading", **fields)
        if device == "ctrl3" and t - start >= offline[0] and t - start < offline[0] + timedelta(minutes=5):
            rec(t + timedelta(milliseconds=500), "status", port="bus1", unit=unit, device=device, state="offline",
                reason="3 requests without answer")
        if device == "ctrl3" and t - start >= offline[1] and t - start < offline[1] + timedelta(minutes=5):
            rec(t - timedelta(milliseconds=1), "status", port="bus1", unit=unit, device=device, state="online",
                reason="answered again")
out.sort(key=lambda x: x[0])
with open("demo-day.jsonl", "w") as f:
    for _, line in out:
        f.write(line + "\n")
