#!/usr/bin/python3
"""Checks a chain run: every reading of the ledger stored exactly once in each
database, no refused query, rows visible while the chain ran, flat memory and
file descriptors. Prints the figures; exits 1 on the first broken promise."""
import argparse
import collections
import json
import sys


def key(record):
    # The storage key of a reading (docs/storage.md): time, port, device, point.
    return (record["ts"], record.get("port"), record["device"], record["point"])


def readings(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                record = json.loads(line)
            except ValueError as e:
                sys.exit(f"{path}:{n}: not JSON ({e}): {line[:120]!r}")
            if record.get("kind") == "reading":
                out.append(record)
    return out


def pairs(values):
    return dict(v.split("=", 1) for v in values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledger", required=True)
    ap.add_argument("--stored", action="append", default=[])
    ap.add_argument("--reader", action="append", default=[])
    ap.add_argument("--usage")
    ap.add_argument("--faults")
    ap.add_argument("--kills", default="")
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--report")
    ap.add_argument("--max-rss-growth", type=int, default=32 * 1024, help="KiB")
    args = ap.parse_args()

    problems = []
    report = {"seconds": args.seconds}
    ledger = readings(args.ledger)
    ledger_keys = collections.Counter(key(r) for r in ledger)
    dup_in_ledger = [k for k, c in ledger_keys.items() if c > 1]
    if dup_in_ledger:
        problems.append(f"the ledger itself repeats {len(dup_in_ledger)} keys, e.g. {dup_in_ledger[0]}")
    by_key = {key(r): r for r in ledger}
    report["readings"] = len(ledger)
    report["bad_quality"] = sum(1 for r in ledger if r.get("quality") != "ok")
    print(f"ledger: {len(ledger)} readings ({report['bad_quality']} not ok)")

    for name, path in pairs(args.stored).items():
        stored = readings(path)
        counts = collections.Counter(key(r) for r in stored)
        missing = [k for k in ledger_keys if k not in counts]
        duplicated = [k for k, c in counts.items() if c > 1]
        extra = [k for k in counts if k not in ledger_keys]
        changed = [k for k in counts if k in by_key and
                   (stored_value(stored, k) != by_key[k].get("value"))]
        report[name] = {"stored": len(stored), "missing": len(missing),
                        "duplicated": len(duplicated), "extra": len(extra), "changed": len(changed)}
        print(f"{name}: {len(stored)} stored, {len(missing)} missing, {len(duplicated)} duplicated, "
              f"{len(extra)} not in the ledger, {len(changed)} with another value")
        if missing:
            problems.append(f"{name}: {len(missing)} readings lost, e.g. {missing[0]}")
        if duplicated:
            problems.append(f"{name}: {len(duplicated)} readings stored twice, e.g. {duplicated[0]}")
        if extra:
            problems.append(f"{name}: {len(extra)} stored readings are not in the ledger, e.g. {extra[0]}")
        if changed:
            problems.append(f"{name}: {len(changed)} readings stored with another value, e.g. {changed[0]}")

    for name, path in pairs(args.reader).items():
        lines = [l.split() for l in open(path) if l.strip()]
        refused = [l for l in lines if l[1] != "0"]
        visible = [l for l in lines if l[1] == "0" and int(l[2]) > 0]
        report[f"queries_{name}"] = {"queries": len(lines), "refused": len(refused),
                                     "with_rows": len(visible)}
        print(f"reader {name}: {len(lines)} queries, {len(refused)} refused, {len(visible)} saw rows")
        if not lines:
            problems.append(f"reader {name} made no query")
        if refused:
            problems.append(f"reader {name}: {len(refused)} queries failed, e.g. status {refused[0][1]}")
        if len(visible) < max(1, len(lines) // 3):
            problems.append(f"reader {name}: rows were visible in only {len(visible)} of {len(lines)} queries")

    kills = {k: int(v) for k, v in (p.split("=") for p in args.kills.split(",") if p)}
    report["kills"] = kills
    print("kills: " + ", ".join(f"{k} {v}" for k, v in kills.items()))

    if args.usage:
        # Samples "SECONDS NAME PID RSS FDS"; a process's first and last sample are
        # compared (a restarted process is a new PID, with its own pair).
        first, last = {}, {}
        for r in (l.split() for l in open(args.usage) if l.strip()):
            k = (r[1], r[2])
            v = (float(r[0]), int(r[3]), int(r[4]))
            first.setdefault(k, v)
            last[k] = v
        growth = {}
        for k, (t0, rss0, fds0) in first.items():
            t1, rss1, fds1 = last[k]
            name = k[0]
            if t1 - t0 < args.seconds / 2:
                continue  # a short-lived instance (restarted by the test): nothing to compare
            growth[name] = {"seconds": t1 - t0, "rss_kib_start": rss0, "rss_kib_end": rss1,
                            "fds_start": fds0, "fds_end": fds1}
            print(f"{name}: RSS {rss0} -> {rss1} KiB, fds {fds0} -> {fds1} over {t1 - t0:.0f} s")
            if name != "broker" and rss1 - rss0 > args.max_rss_growth:
                problems.append(f"{name}: RSS grew by {rss1 - rss0} KiB")
            if fds1 > fds0 + 2:
                problems.append(f"{name}: open files grew from {fds0} to {fds1}")
        report["usage"] = growth
        for name in ("sim", "poll", "pub"):
            if name not in growth:
                problems.append(f"no start and end figures for {name}")

    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


_values = {}


def stored_value(stored, k):
    if id(stored) not in _values:
        _values.clear()
        _values[id(stored)] = {key(r): r.get("value") for r in stored}
    return _values[id(stored)][k]


if __name__ == "__main__":
    main()
