#!/usr/bin/env python3
"""End-to-end latency of the capacity feed (issue #6): from a change becoming visible in a
hospital's FHIR API to the first /capacity/live WebSocket summary that shows it, plus the engine's
CPU and memory over the same window. Standard library only.

It expects a running region simulator (tools/region-simulator) and a running fhir-engine on the
simulator's written config. Probes use the simulator's POST /control/probe-bed, which flips one
dedicated bed between closed and housekeeping; each probe bed lies in its own ward, and a probe
counts as seen when that ward's `beds.closed` in a live message has moved by the flip (+1 or -1)
from the value the feed showed when the probe was sent. t0 is taken just before the probe POST is
sent, so the figures include the POST's own round trip (reported separately).

  bench/capacity_latency_bench.py --sim http://127.0.0.1:PORT --engine-port 8080 \\
      --engine-pid PID --probes 200 --rate 3
"""

import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class WebSocketClient:
    """A minimal RFC 6455 client: handshake, text messages (possibly fragmented), ping/pong."""

    def __init__(self, host, port, path, timeout_s=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   f"Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        self.reader = self.sock.makefile("rb")
        status = self.reader.readline().decode("latin-1").strip()
        headers = {}
        while True:
            line = self.reader.readline().decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if not status.startswith("HTTP/1.1 101"):
            raise RuntimeError(f"no WebSocket upgrade: {status}")
        expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise RuntimeError("wrong Sec-WebSocket-Accept in the handshake answer")

    def _read_exact(self, count):
        data = self.reader.read(count)
        if data is None or len(data) != count:
            raise EOFError("the WebSocket connection closed")
        return data

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive(self):
        """Returns (arrival monotonic time, text) of the next complete text message, or None
        when the server closes. The time is taken when the message's last frame is read."""
        parts = []
        size = 0
        while True:
            first, second = self._read_exact(2)
            fin, opcode = first & 0x80, first & 0x0F
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read_exact(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read_exact(8))[0]
            mask = self._read_exact(4) if second & 0x80 else None
            if length > MAX_MESSAGE_BYTES or size + length > MAX_MESSAGE_BYTES:
                raise RuntimeError(f"a WebSocket message over {MAX_MESSAGE_BYTES} bytes")
            payload = self._read_exact(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                return None
            if opcode in (0x1, 0x2, 0x0):
                parts.append(payload)
                size += length
                if fin:
                    return time.monotonic(), b"".join(parts).decode("utf-8")
                continue
            raise RuntimeError(f"unknown WebSocket opcode {opcode}")

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def find_node(node, reference):
    if node.get("reference") == reference:
        return node
    for child in node.get("children", []):
        found = find_node(child, reference)
        if found is not None:
            return found
    return None


class Feed:
    """Reads the live feed on a thread; keeps the watched wards' closed counts and settles
    pending probes when a message shows their flip."""

    def __init__(self, client, wards):
        self.client = client
        self.wards = set(wards)
        self.lock = threading.Condition()
        self.closed = {}       # ward reference -> beds.closed in the latest message
        self.region_total = 0
        self.messages = 0
        self.message_bytes = 0
        self.arrivals = []
        self.pending = {}      # ward -> (probe index, t0, expected closed)
        self.results = {}      # probe index -> latency s
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                message = self.client.receive()
                if message is None:
                    return
                arrival, text = message
                summary = json.loads(text)
                region = summary["region"]
                with self.lock:
                    self.messages += 1
                    self.message_bytes += len(text)
                    self.arrivals.append(arrival)
                    self.region_total = region["beds"]["total"]
                    for ward in self.wards:
                        node = find_node(region, ward)
                        if node is not None:
                            self.closed[ward] = node["beds"]["closed"]
                    for ward, (index, t0, expected) in list(self.pending.items()):
                        if self.closed.get(ward) == expected:
                            self.results[index] = arrival - t0
                            del self.pending[ward]
                    self.lock.notify_all()
        except (OSError, EOFError, RuntimeError, ValueError, KeyError) as error:
            with self.lock:
                self.error = error
                self.lock.notify_all()


def post(url):
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def try_post(url):
    try:
        return post(url)
    except urllib.error.HTTPError:
        return None


def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def proc_memory_kib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def pick_probe_beds(sim, hospital, count, ward_prefix):
    """Flips the first free beds of `count` different wards to closed (the probes' start)."""
    beds = []
    for ward_no in range(1, 5000):
        if len(beds) == count:
            break
        for bed_no in range(1, 40):
            bed_id = f"{ward_prefix}{ward_no}-{bed_no:02d}"
            answer = try_post(f"{sim}/control/probe-bed?hospital={hospital}&bed={bed_id}")
            if answer is not None:
                beds.append((bed_id, answer["ward"]))
                break
    if len(beds) < count:
        raise SystemExit(f"found only {len(beds)} probe beds in '{hospital}'")
    return beds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", required=True, help="the simulator's base URL")
    parser.add_argument("--engine-host", default="127.0.0.1")
    parser.add_argument("--engine-port", type=int, required=True)
    parser.add_argument("--engine-pid", type=int, required=True)
    parser.add_argument("--hospital", default="nus")
    parser.add_argument("--ward-prefix", default="W", help="bed ids are PREFIX{ward}-{nn}")
    parser.add_argument("--beds", type=int, default=6, help="probe beds (one per ward)")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=3.0, help="probes per second")
    parser.add_argument("--timeout-s", type=float, default=15.0, help="a probe not seen by then is lost")
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args()

    beds = pick_probe_beds(args.sim, args.hospital, args.beds, args.ward_prefix)
    wards = [ward for _, ward in beds]
    client = WebSocketClient(args.engine_host, args.engine_port, "/capacity/live")
    feed = Feed(client, wards)
    # Wait until the feed shows every probe ward closed count after the initial flips.
    deadline = time.monotonic() + 60
    with feed.lock:
        while len(feed.closed) < len(wards) and time.monotonic() < deadline and not feed.error:
            feed.lock.wait(1)
    time.sleep(3)  # let the initial flips reach the feed

    cpu_start, wall_start = proc_cpu_ticks(args.engine_pid), time.monotonic()
    first_events = last_events = None
    post_rtts = []
    lost = 0
    interval = 1.0 / args.rate
    next_send = time.monotonic()
    for index in range(args.probes):
        bed_id, ward = beds[index % len(beds)]
        with feed.lock:  # the previous probe on this bed must have been seen (or be lost)
            while ward in feed.pending and not feed.error:
                if time.monotonic() - feed.pending[ward][1] > args.timeout_s:
                    del feed.pending[ward]
                    lost += 1
                    break
                feed.lock.wait(0.05)
            if feed.error:
                raise SystemExit(f"the live feed failed: {feed.error}")
            base = feed.closed.get(ward)
        delay = next_send - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        next_send = max(next_send + interval, time.monotonic())
        t0 = time.monotonic()
        with feed.lock:
            base = feed.closed.get(ward)
        answer = post(f"{args.sim}/control/probe-bed?hospital={args.hospital}&bed={bed_id}")
        t1 = time.monotonic()
        post_rtts.append(t1 - t0)
        expected = base + (1 if answer["state"] == "closed" else -1)
        with feed.lock:
            if feed.closed.get(ward) == expected:  # cannot happen before the flip; guard anyway
                feed.results[index] = 0.0
            else:
                feed.pending[ward] = (index, t0, expected)
        first_events = answer["events"] if first_events is None else first_events
        last_events = answer["events"]
    wait_end = time.monotonic() + args.timeout_s
    with feed.lock:
        while feed.pending and time.monotonic() < wait_end:
            feed.lock.wait(0.1)
        lost += len(feed.pending)
    wall = time.monotonic() - wall_start
    cpu_ticks = proc_cpu_ticks(args.engine_pid) - cpu_start
    memory = proc_memory_kib(args.engine_pid)
    client.close()

    latencies = sorted(feed.results.values())
    tick = os.sysconf("SC_CLK_TCK")
    events_per_s = (last_events - first_events - (args.probes - 1)) / wall
    arrivals = feed.arrivals
    gaps = sorted(b - a for a, b in zip(arrivals, arrivals[1:]))
    report = {
        "probes": args.probes, "seen": len(latencies), "lost": lost,
        "p50_ms": percentile(latencies, 0.50) * 1000, "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"),
        "min_ms": (latencies[0] * 1000) if latencies else float("nan"),
        "probe_post_rtt_p50_ms": percentile(sorted(post_rtts), 0.5) * 1000,
        "probe_post_rtt_max_ms": max(post_rtts) * 1000,
        "window_s": wall, "source_events_per_s": events_per_s,
        "engine_cpu_pct_of_one_core": 100.0 * cpu_ticks / tick / wall,
        "engine_vmrss_mib": memory.get("VmRSS", 0) / 1024,
        "engine_vmhwm_mib": memory.get("VmHWM", 0) / 1024,
        "ws_messages": feed.messages,
        "ws_mean_message_kib": feed.message_bytes / max(1, feed.messages) / 1024,
        "ws_gap_p50_ms": percentile(gaps, 0.5) * 1000,
        "region_beds_total": feed.region_total,
    }
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"report": report, "latencies_s": latencies}, out, indent=1)
    for key, value in report.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
    return 0 if latencies else 1


if __name__ == "__main__":
    sys.exit(main())
