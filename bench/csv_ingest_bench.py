#!/usr/bin/env python3
"""Whole-engine CSV ingest: rows/s from a file drop until every row is stored.

Generates a deterministic municipal bed-list export (ISO-8859-1, ';', a
header row, two key columns, a local-time timestamp, every tenth row with a
quoted field holding ';' and doubled quotes), starts the real fhir-engine
with one csv-file adapter over an empty temporary drop folder and a
temporary database, renames the file into the folder, and polls /health
until the adapter has stored (or quarantined) every row. Then checks the
count with GET /fhir/Basic?_summary=count. Once per --durability value, each
on a fresh database. Prints a markdown block for bench/RESULTS.md.

Build the engine first:
  cmake --preset release && cmake --build build-release -j2 --target fhir-engine
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAPTER = "beds-bench"
START_TIMEOUT_S = 120
INGEST_TIMEOUT_S = 1800
POLL_S = 0.05

MUNICIPALITIES = ["Ume\u00e5", "Skellefte\u00e5", "Lycksele", "V\u00e4nn\u00e4s", "Robertsfors",
                  "Nordmaling", "Vindeln", "Bjurholm", "\u00c5sele", "Sorsele"]
UNIT_KINDS = ["S\u00c4BO", "Korttidsboende", "Hemsjukv\u00e5rd", "Avd"]
BED_TYPES = ["korttidsplats", "permanent plats", "v\u00e4xelv\u00e5rd", "avlastning"]
STATUSES = ["O", "U", "S"]


def log(message):
    print(f"csv_ingest_bench: {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", default=os.path.join(ROOT, "build-release", "engine",
                                                    "fhir-engine"))
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--durability", default="full,normal",
                   help="comma-separated: full, normal (one run each, fresh database)")
    p.add_argument("--batch-size", type=int, default=0,
                   help="the adapter's batch-size setting (0: the adapter's default)")
    p.add_argument("--work-dir", default="",
                   help="where the drop folders and databases go (default: a new temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the work dir")
    args = p.parse_args(argv)
    args.durability = [d for d in args.durability.split(",") if d]
    for d in args.durability:
        if d not in ("full", "normal"):
            p.error(f"--durability: unknown value {d!r}")
    if args.rows < 1:
        p.error("--rows must be at least 1")
    return args


def generate_csv(rows, seed):
    """The export as ISO-8859-1 bytes: `rows` data rows, keys unique."""
    rng = random.Random(seed)
    out = ["enhet;plats;kommun;typ;status;uppdaterad;anteckning"]
    beds_per_unit = 20
    for i in range(rows):
        unit = i // beds_per_unit
        municipality = MUNICIPALITIES[unit % len(MUNICIPALITIES)]
        kind = UNIT_KINDS[unit % len(UNIT_KINDS)]
        unit_name = f"{kind} {municipality} {unit:05d}"
        minute = rng.randrange(0, 24 * 60)
        stamp = f"2026-11-{1 + rng.randrange(0, 28):02d} {minute // 60:02d}:{minute % 60:02d}"
        note = ""
        if i % 10 == 0:
            note = '"rum 2; ""f\u00f6nster mot g\u00e5rden"""'
        out.append(";".join([unit_name, str(i % beds_per_unit + 1), municipality,
                             BED_TYPES[rng.randrange(len(BED_TYPES))],
                             STATUSES[rng.randrange(len(STATUSES))], stamp, note]))
    return ("\n".join(out) + "\n").encode("iso-8859-1")


class Engine:
    """One fhir-engine serve process; its log goes to a file."""

    def __init__(self, binary, config, database, log_path):
        self.binary, self.config, self.database, self.log_path = binary, config, database, log_path
        self.proc = None
        self.base = ""

    def start(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--config", self.config, "--port", "0",
             "--database", self.database], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                for line in f:
                    if b'"listening"' in line:
                        self.base = json.loads(line)["base"]
                        return
            if self.proc.poll() is not None:
                raise RuntimeError(f"fhir-engine exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            time.sleep(0.01)
        raise RuntimeError(f"no 'listening' line within {START_TIMEOUT_S} s")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(300)
        finally:
            self._log.close()
        if self.proc.returncode != 0:
            raise RuntimeError(f"fhir-engine exited with {self.proc.returncode} on SIGTERM")

    def get_json(self, path):
        url = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
            return json.loads(body)
        finally:
            conn.close()

    def adapter_health(self):
        for a in self.get_json("/health")["adapters"]:
            if a["name"] == ADAPTER:
                return a
        raise RuntimeError(f"/health has no adapter {ADAPTER}")

    def memory_kib(self):
        """VmHWM (peak RSS) and the current RssAnon and RssFile (the mapped
        database pages) from /proc/<pid>/status."""
        out = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in out:
                    out[key] = int(value.split()[0])
        return out


def write_config(path, durability, batch_size):
    settings = {"directory": "drop", "pattern": "*.csv", "settle-seconds": 0,
                "delimiter": ";", "encoding": "iso-8859-1", "key-columns": ["enhet", "plats"],
                "timestamp-column": "uppdaterad", "timestamp-format": "%Y-%m-%d %H:%M",
                "timestamp-utc-offset": "+01:00"}
    if batch_size:
        settings["batch-size"] = batch_size
    config = {"server": {"host": "127.0.0.1"},
              "store": {"database": "unused.db", "durability": durability},
              "adapters": [{"name": ADAPTER, "type": "csv-file", "poll-interval-s": 1,
                            "settings": settings}]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)


def run_once(args, work, durability, data):
    run = os.path.join(work, durability)
    os.makedirs(os.path.join(run, "drop"))
    config = os.path.join(run, "engine.json")
    database = os.path.join(run, "engine.db")
    write_config(config, durability, args.batch_size)
    engine = Engine(args.engine, config, database, os.path.join(run, "engine.log"))
    engine.start()
    try:
        part = os.path.join(run, "drop", "platser.csv.part")
        with open(part, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        t0 = time.monotonic()
        os.rename(part, os.path.join(run, "drop", "platser.csv"))
        first = None
        first_done = 0
        deadline = t0 + INGEST_TIMEOUT_S
        while True:
            h = engine.adapter_health()
            done = h["stored"] + h["unchanged"] + h["quarantined"]
            now = time.monotonic()
            if first is None and done > 0:
                first, first_done = now, done
            if done >= args.rows:
                break
            if h["state"] in ("failed", "backing-off") or now > deadline:
                raise RuntimeError(f"ingest did not finish: {h}")
            time.sleep(POLL_S)
        t1 = time.monotonic()
        count = engine.get_json("/fhir/Basic?_summary=count").get("total")
        result = {
            "durability": durability, "rows": args.rows, "stored": h["stored"],
            "quarantined": h["quarantined"], "count": count,
            "seconds": t1 - t0, "rows_per_s": args.rows / (t1 - t0),
            "first_s": first - t0,
            "after_first_rows_per_s": ((args.rows - first_done) / (t1 - first)
                                       if t1 > first else 0.0),
            "memory_mib": {k: v / 1024 for k, v in engine.memory_kib().items()},
        }
    finally:
        engine.stop()
    size = sum(os.path.getsize(os.path.join(run, n)) for n in os.listdir(run)
               if n.startswith("engine.db"))
    result["db_mib"] = size / 1048576
    if result["count"] != args.rows or result["quarantined"] != 0:
        raise RuntimeError(f"expected {args.rows} stored rows: {result}")
    return result


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine():
    cpu = ""
    for line in sh(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    load = " ".join(open("/proc/loadavg", encoding="ascii").read().split()[:3])
    return f"{sh(['nproc'])} vCPU ({cpu or platform.processor()}), load average {load}"


def markdown(results, args, data_bytes, started, load_before):
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    lines = [
        f"## csv_ingest_bench, {started:%Y-%m-%d}",
        "",
        f"- **Machine**: {machine()} at the end; {load_before} at the start.",
        f"- **Engine**: `{os.path.relpath(args.engine, ROOT)}`, commit `{commit}`.",
        f"- **Data**: {args.rows:,} rows, {data_bytes / 1e6:.1f} MB ISO-8859-1, seed {args.seed}; "
        f"batch-size {args.batch_size or 'default (1000)'}.",
        "",
        "```sh",
        " ".join(["python3 bench/csv_ingest_bench.py"] + sys.argv[1:]),
        "```",
        "",
        "| durability | drop → all stored | rows/s | first batch stored after (includes the "
        "wait for the next poll, ≤ 1 s) | rows/s after the first batch | peak RSS (at the end: anon "
        "/ file-backed) | database |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        m = r["memory_mib"]
        lines.append(f"| {r['durability']} | {r['seconds']:.2f} s | {r['rows_per_s']:,.0f} | "
                     f"{r['first_s']:.2f} s | {r['after_first_rows_per_s']:,.0f} | "
                     f"{m['VmHWM']:.0f} MiB ({m['RssAnon']:.0f} / {m['RssFile']:.0f} MiB) | "
                     f"{r['db_mib']:.0f} MiB |")
    return "\n".join(lines)


def main(argv):
    args = parse_args(argv)
    if not os.access(args.engine, os.X_OK):
        log(f"no engine at {args.engine}; build it first (see --help)")
        return 2
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = "load average " + " ".join(
        open("/proc/loadavg", encoding="ascii").read().split()[:3])
    data = generate_csv(args.rows, args.seed)
    work = args.work_dir or tempfile.mkdtemp(prefix="fe-csv-ingest-")
    os.makedirs(work, exist_ok=True)
    results = []
    try:
        for durability in args.durability:
            log(f"durability {durability}: {args.rows:,} rows")
            r = run_once(args, work, durability, data)
            log(f"durability {durability}: {r['seconds']:.2f} s, {r['rows_per_s']:,.0f} rows/s")
            results.append(r)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown(results, args, len(data), started, load_before))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
