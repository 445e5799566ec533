#!/usr/bin/env python3
"""Loads a data set made by tools/generate_dataset.py into a running FHIR server.

--mode transaction (default) POSTs each transaction Bundle to the base URL;
--mode put PUTs every resource of every Bundle on its own (for servers or
branches without transactions). Either way --connections keep-alive
connections work at once, each in its own process (no GIL between them), and
the rate counts resources from the first request to the last response.

Every response is checked: a transaction must answer 200 with a
transaction-response whose every entry is 2xx; a PUT must answer 200 or 201.
Failures are counted, the first few printed, and the exit status is 1.

Usage: tools/load_dataset.py --base http://127.0.0.1:8080/fhir --data DIR
                             [--mode transaction|put] [--connections 8] [--json]
"""

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import time
import urllib.parse

MAX_REPORTED_ERRORS = 5
# A whole 1,000-entry Bundle is one request; give a slow store time.
REQUEST_TIMEOUT_S = 600


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="FHIR base URL, e.g. http://127.0.0.1:8080/fhir")
    p.add_argument("--data", required=True, help="directory made by tools/generate_dataset.py")
    p.add_argument("--mode", choices=("transaction", "put"), default="transaction")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--json", action="store_true",
                   help="print the result as one JSON object on stdout")
    args = p.parse_args(argv)
    if not 1 <= args.connections <= 256:
        p.error("--connections must be from 1 to 256")
    base = urllib.parse.urlsplit(args.base)
    if base.scheme != "http" or not base.hostname:
        p.error("--base must be an http:// URL with a host")
    return args


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects once when the server
    closed it between requests (every request here is idempotent)."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host = url.hostname
        self.port = url.port or 80
        self.path = url.path.rstrip("/")
        self.conn = None

    def request(self, method, path, body):
        headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=REQUEST_TIMEOUT_S)
            try:
                self.conn.request(method, self.path + path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.conn.close()
                    self.conn = None
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


_worker = None  # per-process state: (Connection, mode)
_parsed = ("", [])  # per-process: the last Bundle parsed, (path, entries)
# --mode put hands out Bundles in slices of this many entries, so that every
# connection has work even when there are fewer Bundles than connections.
PUT_SLICE = 100


def init_worker(base, mode):
    global _worker
    _worker = (Connection(base), mode)


def short(data):
    text = data.decode("utf-8", "replace")
    return text if len(text) <= 300 else text[:300] + "..."


def load_task(task):
    """One unit of work: (path, first entry, end entry). Returns (resources
    stored, [error messages]); an empty message is an error not worth printing."""
    path, first, end = task
    conn, mode = _worker
    try:
        if mode == "transaction":
            with open(path, "rb") as f:
                return post_transaction(conn, path, f.read())
        return put_each(conn, path, first, end)
    except (OSError, http.client.HTTPException) as e:
        return 0, [f"{os.path.basename(path)}: {type(e).__name__}: {e}"]


def post_transaction(conn, path, raw):
    name = os.path.basename(path)
    entries = len(json.loads(raw)["entry"])
    status, data = conn.request("POST", "", raw)
    if status != 200:
        return 0, [f"{name}: POST {conn.path} answered {status}: {short(data)}"]
    try:
        reply = json.loads(data)
    except ValueError:
        return 0, [f"{name}: the transaction response is not JSON: {short(data)}"]
    if reply.get("resourceType") != "Bundle" or reply.get("type") != "transaction-response":
        return 0, [f"{name}: expected a transaction-response Bundle, got {short(data)}"]
    statuses = [e.get("response", {}).get("status", "") for e in reply.get("entry", [])]
    if len(statuses) != entries:
        return 0, [f"{name}: {entries} entries sent, {len(statuses)} in the response"]
    bad = [s for s in statuses if not s.startswith("2")]
    if bad:
        return 0, [f"{name}: {len(bad)} entries not 2xx, first: {bad[0]}"]
    return entries, []


def put_each(conn, path, first, end):
    global _parsed
    if _parsed[0] != path:
        with open(path, "rb") as f:
            _parsed = (path, json.loads(f.read())["entry"])
    name = os.path.basename(path)
    stored, errors = 0, []
    for entry in _parsed[1][first:end]:
        url = entry["request"]["url"]
        body = json.dumps(entry["resource"], separators=(",", ":"), ensure_ascii=False)
        try:
            status, data = conn.request("PUT", "/" + url, body.encode("utf-8"))
        except (OSError, http.client.HTTPException) as e:
            status, data = 0, f"{type(e).__name__}: {e}".encode()
        if status in (200, 201):
            stored += 1
        elif len(errors) < MAX_REPORTED_ERRORS:
            errors.append(f"{name}: PUT {url} answered {status}: {short(data)}")
        else:
            errors.append("")
    return stored, errors


def tasks(paths, mode, bundle_size):
    if mode == "transaction":
        return [(path, 0, 0) for path in paths]
    return [(path, first, first + PUT_SLICE) for path in paths
            for first in range(0, bundle_size, PUT_SLICE)]


def load(base, data_dir, mode, connections):
    with open(os.path.join(data_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    paths = [os.path.join(data_dir, "bundles", name) for name in manifest["bundles"]]
    expected = manifest["resources"]
    stored, failed_requests, shown = 0, 0, []
    start = time.monotonic()
    # imap hands out the work in order, so the dependencies (organizations,
    # wards) mostly land before what refers to them.
    with multiprocessing.Pool(connections, initializer=init_worker,
                              initargs=(base, mode)) as pool:
        for ok, errors in pool.imap(load_task, tasks(paths, mode, manifest["bundle-size"]),
                                    chunksize=1):
            stored += ok
            failed_requests += len(errors)
            shown.extend(e for e in errors if e and len(shown) < MAX_REPORTED_ERRORS)
    seconds = time.monotonic() - start
    return {
        "mode": mode,
        "connections": connections,
        "bundles": len(paths),
        "resources": expected,
        "stored": stored,
        "failed-requests": failed_requests,
        "errors": shown,
        "seconds": round(seconds, 3),
        "resources-per-s": round(stored / seconds, 1) if seconds > 0 else 0.0,
    }


def main(argv):
    args = parse_args(argv)
    result = load(args.base, args.data, args.mode, args.connections)
    for e in result["errors"]:
        print(f"load_dataset: {e}", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"load_dataset: {result['stored']}/{result['resources']} resources in "
              f"{result['seconds']:.1f} s: {result['resources-per-s']:.0f} resources/s "
              f"({args.mode}, {args.connections} connections, "
              f"{result['failed-requests']} failed requests)")
    if result["failed-requests"] or result["stored"] != result["resources"]:
        if args.mode == "transaction" and result["stored"] == 0:
            print("load_dataset: no transaction succeeded; if the server has no transactions "
                  "yet, load with --mode put", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
