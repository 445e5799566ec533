#!/usr/bin/env python3
"""The whole-server benchmark run: starts the real fhir-engine and measures it.

Phases (--phases, comma-separated, in this order):
  rss      idle resident memory right after start, R4 definitions loaded
  load     ingest of the generated data set (transaction Bundles or PUTs)
  size     database size after a WAL checkpoint over the resource JSON bytes
  read     wrk, random reads (bench/wrk/read.lua)
  search   wrk, free beds on a ward (bench/wrk/search.lua)
  durable  one client's sequential durable PUTs beside the disk's fsync rate
  cold     stop, restart on the same database, time to the first good read
           (on a separate data set of --cold-start-resources when given)
size, read, search and cold need the data set loaded, so they imply load.
Prints a markdown block for bench/RESULTS.md and keeps it, the raw outputs
and results.json in the run directory.

Normally started by bench/run_server_bench.sh, which builds the engine first.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
WRK_DIR = os.path.join(ROOT, "bench", "wrk")
ALL_PHASES = ["rss", "load", "size", "read", "search", "durable", "cold"]
NEEDS_LOAD = {"size", "read", "search"}
START_TIMEOUT_S = 600
STOP_TIMEOUT_S = 300


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", default=os.path.join(ROOT, "build-release", "engine",
                                                    "fhir-engine"))
    p.add_argument("--scale", type=float, default=1.0,
                   help="data set scale: 1.0 is 100,000 beds and 200,000 encounters")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mode", choices=("transaction", "put"), default="transaction",
                   help="how to load: transaction Bundles, or one PUT per resource")
    p.add_argument("--phases", default=",".join(ALL_PHASES),
                   help="comma-separated subset of " + ",".join(ALL_PHASES))
    p.add_argument("--load-connections", type=int, default=8)
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--wrk-connections", type=int, default=64)
    p.add_argument("--wrk-duration", default="20s")
    p.add_argument("--durable-seconds", type=float, default=10.0)
    p.add_argument("--cold-start-resources", type=int, default=0,
                   help="cold start on a separate data set of this many resources "
                        "(e.g. 1000000); 0: on the loaded one")
    p.add_argument("--server-threads", type=int, default=0,
                   help="server.threads in the config (0: the engine's default)")
    p.add_argument("--durability", choices=("full", "normal"), default="full")
    p.add_argument("--data-cache", default=os.path.join(ROOT, "build-release", "bench-data"),
                   help="where generated data sets are kept, one folder per parameters")
    p.add_argument("--run-dir", default="",
                   help="where the database, logs and summary go "
                        "(default build-release/bench-runs/<UTC time>)")
    p.add_argument("--keep-database", action="store_true",
                   help="keep the database files after the run")
    p.add_argument("--command", default="",
                   help="the command line to show in the summary (set by run_server_bench.sh)")
    args = p.parse_args(argv)
    phases = [x for x in args.phases.split(",") if x]
    unknown = [x for x in phases if x not in ALL_PHASES]
    if unknown:
        p.error(f"unknown phase(s) {','.join(unknown)}; choose from {','.join(ALL_PHASES)}")
    if NEEDS_LOAD & set(phases) or ("cold" in phases and not args.cold_start_resources):
        phases.append("load")
    args.phases = [x for x in ALL_PHASES if x in phases]
    if not 0 < args.scale <= 100:
        p.error("--scale must be in (0, 100]")
    if args.cold_start_resources < 0:
        p.error("--cold-start-resources must not be negative")
    if not re.fullmatch(r"\d+[smh]?", args.wrk_duration):
        p.error("--wrk-duration: a wrk duration such as 20s")
    if not os.access(args.engine, os.X_OK):
        p.error(f"--engine {args.engine}: not an executable (build it: cmake --preset release "
                "&& cmake --build build-release --target fhir-engine)")
    if {"read", "search"} & set(args.phases) and shutil.which("wrk") is None:
        p.error("wrk is not installed (tools/setup.sh installs it)")
    return args


def log(message):
    print(f"server_bench: {message}", file=sys.stderr, flush=True)


# ---- data sets -------------------------------------------------------------

def ensure_dataset(cache, scale, seed, copies=1, limit=0):
    """Generates the data set unless the cache already has it; returns its dir."""
    with open(os.path.join(TOOLS, "generate_dataset.py"), "rb") as f:
        generator = hashlib.sha256(f.read()).hexdigest()[:10]
    name = f"scale{scale:g}-seed{seed}-copies{copies}-limit{limit}-gen{generator}"
    out = os.path.join(cache, name)
    if os.path.exists(os.path.join(out, "manifest.json")):
        log(f"data set cached: {out}")
    else:
        log(f"generating data set {name}")
        os.makedirs(cache, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(TOOLS, "generate_dataset.py"), "--out", out,
                        "--scale", repr(scale), "--seed", str(seed), "--copies", str(copies),
                        "--limit", str(limit)], check=True)
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        return out, json.load(f)


# ---- the server process ----------------------------------------------------

class Server:
    """One fhir-engine serve process on --port 0; stdout (one JSON log line
    per request) goes to a file, never to an undrained pipe."""

    def __init__(self, engine, config, database, log_path):
        self.engine, self.config, self.database, self.log_path = engine, config, database, log_path
        self.proc = None
        self.base = ""
        self.started_at = 0.0

    def start(self):
        """Starts and waits for the "listening" line; returns seconds taken."""
        self._log = open(self.log_path, "ab")
        offset = self._log.tell()
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [self.engine, "serve", "--config", self.config, "--port", "0",
             "--database", self.database], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = self.started_at + START_TIMEOUT_S
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                for line in f:
                    if b'"listening"' in line:
                        self.base = json.loads(line)["base"]
                        return time.monotonic() - self.started_at
            if self.proc.poll() is not None:
                raise RuntimeError(f"fhir-engine exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            time.sleep(0.002)
        raise RuntimeError(f"no 'listening' line within {START_TIMEOUT_S} s; see {self.log_path}")

    def stop(self):
        """SIGTERM and wait; returns seconds to exit."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"fhir-engine did not stop within {STOP_TIMEOUT_S} s")
        finally:
            self._log.close()
        if self.proc.returncode != 0:
            raise RuntimeError(f"fhir-engine exited with {self.proc.returncode} on SIGTERM")
        return time.monotonic() - t

    def memory_kib(self):
        """{"VmRSS": kB, "VmHWM": kB} from /proc/<pid>/status."""
        out = {}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
        return out

    def get(self, path):
        url = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            conn.request("GET", url.path + path, headers={"Accept": "application/fhir+json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def write_config(path, args):
    server = {"host": "127.0.0.1"}
    if args.server_threads:
        server["threads"] = args.server_threads
    config = {"server": server, "store": {"database": "unused.db", "durability": args.durability}}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)


# ---- phases ----------------------------------------------------------------

def phase_rss(server):
    """VmRSS right after the "listening" line, and again after the first
    requests that touch the R4 definitions (the CapabilityStatement is built
    from the type model at start; search parameters may load on first use)."""
    at_start = server.memory_kib()["VmRSS"]
    status, _ = server.get("/metadata")
    if status != 200:
        raise RuntimeError(f"GET /fhir/metadata answered {status}")
    server.get("/Location?_count=1")  # any answer: it only warms what search loads
    time.sleep(0.5)
    return {"VmRSS-at-listening": at_start, **server.memory_kib()}


def phase_load(server, data_dir, args, out_path):
    cmd = [sys.executable, os.path.join(TOOLS, "load_dataset.py"), "--base", server.base,
           "--data", data_dir, "--mode", args.mode, "--connections", str(args.load_connections),
           "--json"]
    log(f"loading ({args.mode}, {args.load_connections} connections)")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(proc.stdout + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {}
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        hint = " (no transactions on this server? try --mode put)" if args.mode == "transaction" \
            else ""
        raise RuntimeError(f"loading failed: {result.get('failed-requests', '?')} failed "
                           f"requests{hint}; see {out_path}")
    result["memory-kib"] = server.memory_kib()
    return result


def phase_size(database, resource_bytes):
    con = sqlite3.connect(database, timeout=30)
    try:
        for _ in range(50):
            busy, _, _ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("PRAGMA wal_checkpoint(TRUNCATE) stayed busy")
    finally:
        con.close()
    size = os.path.getsize(database)
    wal = database + "-wal"
    wal_size = os.path.getsize(wal) if os.path.exists(wal) else 0
    return {"db-bytes": size, "wal-bytes": wal_size, "resource-json-bytes": resource_bytes,
            "ratio": round((size + wal_size) / resource_bytes, 3)}


def phase_wrk(server, script, ids_dir, args, out_path):
    url = urllib.parse.urlsplit(server.base)
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.wrk_connections}", f"-d{args.wrk_duration}",
           "--latency", "-s", os.path.join(WRK_DIR, script), f"http://{url.netloc}", "--",
           ids_dir, url.path]
    log("running " + " ".join(shlex.quote(c) for c in cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited with {proc.returncode}; see {out_path}")
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON "):])
            result["command"] = "wrk " + " ".join(cmd[1:5])
            for report in proc.stdout.splitlines():
                if report.startswith(result["name"] + ":"):
                    log(report)
            return result
    raise RuntimeError(f"no BENCH_JSON line from wrk; see {out_path}")


def phase_durable(server, args, out_path):
    cmd = [sys.executable, os.path.join(TOOLS, "durable_put_bench.py"), "--base", server.base,
           "--dir", os.path.dirname(os.path.abspath(server.database)),
           "--seconds", repr(args.durable_seconds), "--json"]
    log(f"durable PUT benchmark ({args.durable_seconds:g} s of PUTs, as long of fsync)")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(proc.stdout + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"durable_put_bench printed nothing; see {out_path}")
    result = json.loads(lines[-1])
    result["durability"] = args.durability
    if proc.returncode != 0:
        log(f"durable PUTs failed: {result.get('first-error')}")
    return result


def first_good_read(server, path):
    """Polls GET path until 200; returns seconds since the process started."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        try:
            status, body = server.get(path)
            if status == 200:
                return time.monotonic() - server.started_at
            last = f"{status}: {body[:200]!r}"
        except (OSError, http.client.HTTPException) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.001)
    raise RuntimeError(f"no good read of {path} within {START_TIMEOUT_S} s; last: {last}")


def phase_cold(server, data_dir, manifest):
    with open(os.path.join(data_dir, "ids", "beds.txt"), encoding="utf-8") as f:
        beds = f.read().split()
    probe = "/Location/" + beds[len(beds) // 2]
    stop_s = server.stop()
    listen_s = server.start()
    read_s = first_good_read(server, probe)
    return {"resources": manifest["resources"], "stop-s": round(stop_s, 3),
            "listening-s": round(listen_s, 3), "first-read-s": round(read_s, 3),
            "probe": probe, "memory-kib": server.memory_kib()}


# ---- the report ------------------------------------------------------------

def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine(run_dir):
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1048576:.1f} GiB"
    source, fstype = (sh(["findmnt", "-no", "SOURCE,FSTYPE", "-T", run_dir]).split() + ["", ""])[:2]
    disk = f"{source} ({fstype})" if source else "unknown"
    dev = os.path.basename(source)
    model_path = f"/sys/block/{dev}/device/model"
    if os.path.exists(model_path):
        with open(model_path, encoding="utf-8") as f:
            disk += ", model " + f.read().strip()
    rota_path = f"/sys/block/{dev}/queue/rotational"
    if os.path.exists(rota_path):
        with open(rota_path, encoding="utf-8") as f:
            disk += ", rotational " + f.read().strip() + " (as the kernel reports it)"
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "memory": mem,
            "disk": disk, "kernel": platform.release()}


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def summary_markdown(results, args, started):
    m = results["machine"]
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = " plus uncommitted changes" if sh(["git", "-C", ROOT, "status", "--porcelain",
                                                  "--untracked-files=no"]) else ""
    ds = results["dataset"]
    lines = [
        f"## Whole-server benchmark, {started:%Y-%m-%d}",
        "",
        f"- **Date**: {started:%a %b %d %H:%M:%S UTC %Y}",
        f"- **Machine**: {m['nproc']} CPUs (`nproc`), {m['cpu']} (as `/proc/cpuinfo` names it), "
        f"{m['memory']} RAM, kernel {m['kernel']}; disk {m['disk']}. Clients (loader, wrk) run "
        f"on the same machine.",
        f"- **Source**: commit `{commit}`{dirty}, Release build",
        f"- **Command**: `{args.command or 'bench/server_bench.py ' + ' '.join(sys.argv[1:])}`",
        f"- **Data set**: `tools/generate_dataset.py --scale {args.scale:g} --seed {args.seed}`: "
        f"{ds['resources']:,} resources ("
        + ", ".join(f"{k} {v:,}" for k, v in ds["resources-by-kind"].items())
        + f"), {ds['resource-json-bytes'] / 1e6:.1f} MB of resource JSON",
        f"- **Server**: durability `{args.durability}`, threads "
        f"{args.server_threads or 'default'}",
        "",
        "| measure | value |",
        "| --- | ---: |",
    ]
    r = results
    if "rss" in r:
        lines.append(f"| idle RSS at the 'listening' line / after `GET metadata` and one search "
                     f"(VmRSS) | {mib(r['rss']['VmRSS-at-listening'])} / "
                     f"{mib(r['rss']['VmRSS'])} |")
    if "load" in r:
        ld = r["load"]
        lines.append(f"| ingest, {ld['mode']}, {ld['connections']} connections | "
                     f"{ld['resources-per-s']:,.0f} resources/s ({ld['stored']:,} in "
                     f"{ld['seconds']:.1f} s) |")
        lines.append(f"| RSS after load (VmRSS / peak VmHWM) | {mib(ld['memory-kib']['VmRSS'])} / "
                     f"{mib(ld['memory-kib']['VmHWM'])} |")
    if "size" in r:
        sz = r["size"]
        lines.append(f"| database size after `wal_checkpoint(TRUNCATE)` / resource JSON | "
                     f"{sz['ratio']:.2f} ({(sz['db-bytes'] + sz['wal-bytes']) / 1e6:.1f} MB / "
                     f"{sz['resource-json-bytes'] / 1e6:.1f} MB) |")
    for name in ("read", "search"):
        if name in r:
            w = r[name]
            lines.append(f"| {name}, `{w['command']}`: good responses/s | {w['good-per-s']:,.0f} |")
            lines.append(f"| {name}: latency p50 / p99 | {w['p50-ms']:.2f} ms / "
                         f"{w['p99-ms']:.2f} ms |")
            lines.append(f"| {name}: non-2xx / wrong body / socket errors, of responses | "
                         f"{w['non-2xx']:,} / {w['wrong-body']:,} / {w['socket-errors']:,}, "
                         f"of {w['responses']:,} |")
            if name == "search":
                good = w["responses"] - w["non-2xx"] - w["wrong-body"]
                mean = f"{w['mean-entries']:.2f}" if good else "n/a (no good response)"
                lines.append(f"| search: mean entries per page | {mean} |")
    if "durable" in r:
        d = r["durable"]
        lines.append(f"| durable PUT, one client, sequential (durability {d['durability']}) | "
                     f"{d['put-per-s']:,.0f}/s (p50 {d['put-p50-ms']:.2f} ms, p99 "
                     f"{d['put-p99-ms']:.2f} ms), {d['failed-puts']} failed |")
        lines.append(f"| disk: 4 KiB pwrite + fdatasync, same directory | "
                     f"{d['fsync-per-s']:,.0f}/s (p50 {d['fsync-p50-ms']:.2f} ms) |")
        lines.append(f"| durable PUT/s over fsync/s | {d['put-to-fsync-ratio']:.2f} |")
    if "cold-load" in r:
        cl = r["cold-load"]
        lines.append(f"| cold-start data set: ingest, {cl['mode']} | "
                     f"{cl['resources-per-s']:,.0f} resources/s ({cl['stored']:,} in "
                     f"{cl['seconds']:.1f} s) |")
    if "cold" in r:
        c = r["cold"]
        lines.append(f"| cold start, {c['resources']:,} resources: to 'listening' / to first "
                     f"good read | {c['listening-s']:.3f} s / {c['first-read-s']:.3f} s |")
        lines.append(f"| RSS after the first read of the restart | "
                     f"{mib(c['memory-kib']['VmRSS'])} |")
    lines += ["", "The operating system's page cache was not dropped before the cold start."]
    return "\n".join(lines) + "\n"


# ---- main ------------------------------------------------------------------

def main(argv):
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    run_dir = os.path.abspath(args.run_dir or os.path.join(
        ROOT, "build-release", "bench-runs", started.strftime("%Y%m%dT%H%M%SZ")))
    os.makedirs(run_dir, exist_ok=True)
    log(f"run directory {run_dir}; phases {','.join(args.phases)}")
    data_dir, manifest = ensure_dataset(os.path.abspath(args.data_cache), args.scale, args.seed)
    results = {"machine": machine(run_dir), "phases": args.phases,
               "dataset": {k: v for k, v in manifest.items() if k != "bundles"}}
    config = os.path.join(run_dir, "config.json")
    write_config(config, args)
    database = os.path.join(run_dir, "bench.db")
    server = Server(args.engine, config, database, os.path.join(run_dir, "engine.log"))
    servers = [server]
    try:
        server.start()
        log(f"server at {server.base}")
        if "rss" in args.phases:
            results["rss"] = phase_rss(server)
            log(f"idle RSS {mib(results['rss']['VmRSS-at-listening'])} at start, "
                f"{mib(results['rss']['VmRSS'])} after the first requests")
        if "load" in args.phases:
            results["load"] = phase_load(server, data_dir, args, os.path.join(run_dir, "load.txt"))
            log(f"ingest {results['load']['resources-per-s']:,.0f} resources/s")
        if "size" in args.phases:
            results["size"] = phase_size(database, manifest["resource-json-bytes"])
            log(f"database / resource JSON {results['size']['ratio']:.2f}")
        ids_dir = os.path.join(data_dir, "ids")
        if "read" in args.phases:
            results["read"] = phase_wrk(server, "read.lua", ids_dir, args,
                                        os.path.join(run_dir, "wrk-read.txt"))
        if "search" in args.phases:
            results["search"] = phase_wrk(server, "search.lua", ids_dir, args,
                                          os.path.join(run_dir, "wrk-search.txt"))
        if "durable" in args.phases:
            results["durable"] = phase_durable(server, args, os.path.join(run_dir, "durable.txt"))
            d = results["durable"]
            log(f"durable PUT {d['put-per-s']:,.0f}/s, fsync {d['fsync-per-s']:,.0f}/s, "
                f"ratio {d['put-to-fsync-ratio']:.2f}")
        if "cold" in args.phases:
            cold_dir, cold_manifest = data_dir, manifest
            if args.cold_start_resources and args.cold_start_resources != manifest["resources"]:
                per_copy = manifest["resources"]
                copies = max(1, math.ceil(args.cold_start_resources / per_copy))
                cold_dir, cold_manifest = ensure_dataset(
                    os.path.abspath(args.data_cache), args.scale, args.seed, copies,
                    args.cold_start_resources)
                server.stop()
                server = Server(args.engine, config, os.path.join(run_dir, "cold.db"),
                                os.path.join(run_dir, "engine-cold.log"))
                servers.append(server)
                server.start()
                results["cold-load"] = phase_load(server, cold_dir, args,
                                                  os.path.join(run_dir, "load-cold.txt"))
                log(f"cold-start set loaded: {results['cold-load']['resources-per-s']:,.0f} "
                    "resources/s")
            results["cold"] = phase_cold(server, cold_dir, cold_manifest)
            log(f"cold start: listening after {results['cold']['listening-s']:.3f} s, first "
                f"read after {results['cold']['first-read-s']:.3f} s")
    finally:
        for s in servers:
            try:
                s.stop()
            except RuntimeError as e:
                log(str(e))
        if not args.keep_database:
            for name in os.listdir(run_dir):
                if re.fullmatch(r"(bench|cold)\.db(-wal|-shm)?", name):
                    os.unlink(os.path.join(run_dir, name))
    with open(os.path.join(run_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    summary = summary_markdown(results, args, started)
    with open(os.path.join(run_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(summary)
    print(summary)
    log(f"raw outputs, results.json and summary.md in {run_dir}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (RuntimeError, subprocess.CalledProcessError) as e:
        log(f"error: {e}")
        sys.exit(1)
