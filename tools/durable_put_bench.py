#!/usr/bin/env python3
"""Single-client durable write rate against the disk's raw fsync rate.

Two measurements in one run, on the same disk:
  1. fsync: in --dir (the database's directory), a loop of one 4 KiB pwrite
     plus fdatasync on a preallocated 4 MiB file (overwriting in a ring, as a
     reused SQLite WAL does): the most commits per second this disk allows one
     writer that waits for each.
  2. PUT: one client, one keep-alive connection, sequential PUTs of new bed
     Locations (each waits for its answer). With durability "full" every 2xx
     means one fsync'd commit, so PUT/s cannot exceed the fsync rate, and the
     ratio says how much of each write is the disk and how much the server.
The fsync loop runs half its time before the PUTs and half after, so that a
drift of the host's disk over the run falls on both alike.

Usage: tools/durable_put_bench.py --base http://127.0.0.1:8080/fhir --dir DB_DIR
                                  [--seconds 10] [--json]
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

BLOCK = 4096
RING_BLOCKS = 1024


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="FHIR base URL of a server with durability full")
    p.add_argument("--dir", required=True, help="directory on the database's disk")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="time for the PUTs, and again for the fsync loop")
    p.add_argument("--id-prefix", default="durable-put",
                   help="ids of the written beds: PREFIX-<run>-<n>")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = p.parse_args(argv)
    if not 0.5 <= args.seconds <= 3600:
        p.error("--seconds must be from 0.5 to 3600")
    if not os.path.isdir(args.dir):
        p.error(f"--dir {args.dir}: not a directory")
    return args


def fsync_rate(directory, seconds):
    """Returns (operations, seconds, [latency in seconds]) of write+fdatasync."""
    path = os.path.join(directory, f".fsync-probe-{os.getpid()}")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"\0" * (BLOCK * RING_BLOCKS))
        os.fsync(fd)  # allocation and size settle before timing
        block = os.urandom(BLOCK)
        latencies = []
        n = 0
        start = time.monotonic()
        deadline = start + seconds
        now = start
        while now < deadline:
            os.pwrite(fd, block, (n % RING_BLOCKS) * BLOCK)
            os.fdatasync(fd)
            n += 1
            t = time.monotonic()
            latencies.append(t - now)
            now = t
        return n, now - start, latencies
    finally:
        os.close(fd)
        os.unlink(path)


def bed(id_):
    return json.dumps({
        "resourceType": "Location",
        "id": id_,
        "status": "active",
        "operationalStatus": {"system": "http://terminology.hl7.org/CodeSystem/v2-0116",
                              "code": "U", "display": "Unoccupied"},
        "name": id_,
        "mode": "instance",
        "physicalType": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
            "code": "bd", "display": "Bed"}]},
    }, separators=(",", ":")).encode("utf-8")


def put_rate(base, seconds, id_prefix):
    """Returns (2xx count, failures, seconds, [latency in seconds], first error)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
    path = url.path.rstrip("/") + "/Location/"
    run = f"{int(time.time())}-{os.getpid()}"
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json",
               "Prefer": "return=minimal"}
    ok, failed, first_error = 0, 0, ""
    latencies = []
    n = 0
    start = time.monotonic()
    deadline = start + seconds
    now = start
    try:
        while now < deadline:
            id_ = f"{id_prefix}-{run}-{n}"
            body = bed(id_)
            conn.request("PUT", path + id_, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            n += 1
            t = time.monotonic()
            latencies.append(t - now)
            now = t
            if response.status in (200, 201):
                ok += 1
            else:
                failed += 1
                if not first_error:
                    first_error = f"PUT {path}{id_} answered {response.status}: {data[:300]!r}"
            if response.will_close:
                raise http.client.HTTPException("the server closed the keep-alive connection")
    finally:
        conn.close()
    return ok, failed, now - start, latencies, first_error


def percentile_ms(latencies, p):
    if not latencies:
        return 0.0
    if len(latencies) == 1:
        return latencies[0] * 1000
    return statistics.quantiles(latencies, n=100, method="inclusive")[p - 1] * 1000


def main(argv):
    args = parse_args(argv)
    n1, s1, l1 = fsync_rate(args.dir, args.seconds / 2)
    ok, failed, put_s, put_lat, first_error = put_rate(args.base, args.seconds, args.id_prefix)
    n2, s2, l2 = fsync_rate(args.dir, args.seconds / 2)
    fsync_lat = l1 + l2
    fsync_per_s = (n1 + n2) / (s1 + s2)
    put_per_s = ok / put_s if put_s > 0 else 0.0
    result = {
        "fsync-per-s": round(fsync_per_s, 1),
        "fsync-p50-ms": round(percentile_ms(fsync_lat, 50), 3),
        "fsync-p99-ms": round(percentile_ms(fsync_lat, 99), 3),
        "put-per-s": round(put_per_s, 1),
        "put-p50-ms": round(percentile_ms(put_lat, 50), 3),
        "put-p99-ms": round(percentile_ms(put_lat, 99), 3),
        "puts": ok,
        "failed-puts": failed,
        "put-to-fsync-ratio": round(put_per_s / fsync_per_s, 3) if fsync_per_s else 0.0,
        "first-error": first_error,
    }
    if first_error:
        print(f"durable_put_bench: {failed} PUTs failed; first: {first_error}", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"fsync (4 KiB pwrite + fdatasync): {result['fsync-per-s']:.0f}/s "
              f"(p50 {result['fsync-p50-ms']} ms, p99 {result['fsync-p99-ms']} ms)")
        print(f"sequential durable PUT, one client: {result['put-per-s']:.0f}/s "
              f"(p50 {result['put-p50-ms']} ms, p99 {result['put-p99-ms']} ms), "
              f"{failed} failed")
        print(f"PUT/s over fsync/s: {result['put-to-fsync-ratio']:.2f}")
    return 1 if failed or ok == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
