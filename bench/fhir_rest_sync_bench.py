#!/usr/bin/env python3
"""Full-sync rate of the fhir-rest adapter, engine to engine on loopback.

Starts an upstream fhir-engine, loads N Locations into it (transaction
Bundles of 1000 PUTs), then starts a regional fhir-engine whose config has a
fhir-rest adapter pointing at the upstream, and measures the wall time from
the regional engine's "listening" line until its Location count equals N
(start-up of the adapter and its first page included: a conservative rate).
Prints one line of results as JSON, with the CPU seconds each engine used
during the sync (where the time goes).

With --tls-smart the upstream is then restarted on its database with HTTPS
(a throwaway CA and server certificate made with the openssl command line)
and SMART Backend Services on, and the adapter authenticates with an ES384
key from `fhir-engine smart-keygen`: the production set-up.

Usage: bench/fhir_rest_sync_bench.py BUILD/engine/fhir-engine [--locations 100000]
           [--page-size 1000] [--durability full|normal] [--tls-smart]
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def start(binary, config_path, db_path, port=0):
    proc = subprocess.Popen([binary, "serve", "--config", config_path, "--port", str(port),
                             "--database", db_path], stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if '"msg":"listening"' in line:
            port = json.loads(line)["port"]
            # Keep draining stdout so the engine never blocks on a full pipe.
            subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
            return proc, port
    proc.kill()
    sys.exit("engine did not start")


def cpu_seconds(pid):
    """User plus system CPU time of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def make_pki(work, binary):
    """A CA, a server certificate for 127.0.0.1 and the adapter's SMART key."""
    def run(*cmd):
        subprocess.run(cmd, cwd=work, check=True, capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=bench-ca")
    run("openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(work, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext")
    run(binary, "smart-keygen", "--alg", "ES384", "--kid", "regional-1", "--out", "regional")
    with open(os.path.join(work, "regional.jwks.json")) as f:
        return json.load(f)


def location(i):
    return {"resourceType": "Location", "id": f"bed-{i}", "status": "active",
            "name": f"Bed {i}", "operationalStatus": {
                "system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": "U"},
            "physicalType": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                "code": "bd"}]},
            "partOf": {"reference": f"Location/ward-{i // 20}"}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--locations", type=int, default=100000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--durability", choices=("full", "normal"), default="full",
                    help="the regional engine's store durability (default: full, as shipped)")
    ap.add_argument("--tls-smart", action="store_true",
                    help="upstream over HTTPS with SMART Backend Services auth")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="fe-fhir-rest-bench-")
    procs = []
    try:
        up_cfg = os.path.join(work, "upstream.json")
        with open(up_cfg, "w") as f:
            json.dump({"store": {"durability": "normal"}}, f)
        up, up_port = start(args.binary, up_cfg, os.path.join(work, "upstream.db"))
        procs.append(up)
        t = time.time()
        for start_i in range(0, args.locations, 1000):
            entries = [{"resource": location(i),
                        "request": {"method": "PUT", "url": f"Location/bed-{i}"}}
                       for i in range(start_i, min(args.locations, start_i + 1000))]
            status, body = request(up_port, "POST", "/fhir", json.dumps(
                {"resourceType": "Bundle", "type": "transaction", "entry": entries}))
            if status != 200:
                sys.exit(f"load failed: {status} {body[:300]}")
        load_s = time.time() - t
        base_url = f"http://127.0.0.1:{up_port}/fhir"
        settings = {"base-url": base_url, "resource-types": ["Location"],
                    "page-size": args.page_size, "max-pages-per-poll": 1000}
        if args.tls_smart:
            jwks = make_pki(work, args.binary)
            up.terminate()
            up.wait(timeout=30)
            procs.remove(up)
            with open(up_cfg, "w") as f:
                json.dump({"server": {"tls": {"cert-file": "server.pem",
                                              "key-file": "server.key"}},
                           "store": {"durability": "normal"},
                           "auth": {"mode": "smart", "clients": [{
                               "client-id": "regional", "jwks": jwks,
                               "scope": "system/Location.rs"}]}}, f)
            up, up_port = start(args.binary, up_cfg, os.path.join(work, "upstream.db"), up_port)
            procs.append(up)
            settings["base-url"] = f"https://127.0.0.1:{up_port}/fhir"
            settings["tls"] = {"ca-file": "ca.pem"}
            settings["auth"] = {"type": "smart-backend", "client-id": "regional",
                                "private-key-file": "regional.key.pem", "key-id": "regional-1",
                                "algorithm": "ES384", "scope": "system/Location.rs"}

        reg_cfg = os.path.join(work, "regional.json")
        with open(reg_cfg, "w") as f:
            json.dump({"store": {"durability": args.durability}, "adapters": [{
                "name": "upstream", "type": "fhir-rest", "poll-interval-s": 1,
                "settings": settings}]}, f)
        up_cpu = cpu_seconds(up.pid)
        t = time.time()
        reg, reg_port = start(args.binary, reg_cfg, os.path.join(work, "regional.db"))
        procs.append(reg)
        total = 0
        while time.time() - t < 600:
            status, body = request(reg_port, "GET", "/fhir/Location?_summary=count")
            total = json.loads(body).get("total", 0) if status == 200 else 0
            if total >= args.locations:
                break
            time.sleep(0.2)
        sync_s = time.time() - t
        up_cpu = cpu_seconds(up.pid) - up_cpu
        reg_cpu = cpu_seconds(reg.pid)
        print(json.dumps({"locations": args.locations, "synced": total,
                          "page_size": args.page_size, "durability": args.durability,
                          "tls_smart": args.tls_smart, "upstream_load_s": round(load_s, 2),
                          "sync_s": round(sync_s, 2),
                          "resources_per_s": round(total / sync_s),
                          "upstream_cpu_s": round(up_cpu, 2),
                          "regional_cpu_s": round(reg_cpu, 2)}))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
