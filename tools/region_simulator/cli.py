"""Command line of the region simulator: parses the options, builds the region, serves its HTTP
API, and drives simulated time from the wall clock (--speed) or from /control/step
(--manual-clock), exporting drop files and the truth file as time passes."""

import argparse
import math
import os
import signal
import sys
import threading
import time

from . import engine_config
from .http_api import start_server
from .region import Region
from .sim_time import MS_PER_S, format_instant, parse_instant

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Runner:
    """Owns the region, its lock and the clock. Every method expects the caller to hold .lock
    (an RLock) except run_forever."""

    def __init__(self, region, speed, manual_clock, truth_file, truth_interval_s,
                 export_interval_s, duration_s=None):
        self.region = region
        self.lock = threading.RLock()
        self.speed = speed
        self.manual_clock = manual_clock
        self.truth_file = truth_file
        self.truth_interval_ms = int(truth_interval_s * MS_PER_S)
        self.export_interval_s = export_interval_s
        # With --duration-s the clock stops there (exports and the server go on).
        self.end_ms = (None if duration_s is None
                       else region.simulation.now_ms + int(duration_s * MS_PER_S))
        self._last_truth_ms = None
        self._stop = threading.Event()

    def write_truth(self):
        if self.truth_file:
            self.region.write_truth(self.truth_file)
            self._last_truth_ms = self.region.simulation.now_ms

    def _truth_due(self):
        now = self.region.simulation.now_ms
        if self.truth_file and (self._last_truth_ms is None
                                or now - self._last_truth_ms >= self.truth_interval_ms):
            self.write_truth()

    def step(self, seconds):
        """Manual clock: advance, export the drop files and rewrite the truth file."""
        simulation = self.region.simulation
        simulation_target = simulation.now_ms + int(seconds * MS_PER_S)
        self.region.advance_to(simulation_target)
        self.region.export_files()
        self.write_truth()

    def stop(self):
        self._stop.set()

    def run_forever(self):
        with self.lock:
            self.write_truth()
        if self.manual_clock:
            self._stop.wait()
            return
        real_start = time.monotonic()
        with self.lock:
            sim_start = self.region.simulation.now_ms
        last_export = real_start
        while not self._stop.wait(0.1):
            real_now = time.monotonic()
            with self.lock:
                target = sim_start + int((real_now - real_start) * self.speed * MS_PER_S)
                if self.end_ms is not None:
                    target = min(target, self.end_ms)
                self.region.advance_to(target)
                if real_now - last_export >= self.export_interval_s:
                    self.region.export_files()
                    last_export = real_now
                self._truth_due()


def drop_stale_after_s(args):
    """stale-after-s for the drop-folder adapters: at least --stale-after-s, and long enough for
    one scheduled export to arrive (its real time at --speed, the export interval, the adapter's
    poll and settle) with room for one missed poll."""
    if args.manual_clock or not args.scheduled_export_s:
        return args.stale_after_s
    real_s = args.scheduled_export_s / args.speed + args.export_interval_s
    return max(args.stale_after_s, math.ceil(real_s) + 2 * args.poll_interval_s + 1)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="region-simulator",
        description="Simulates a region's hospitals and municipalities and serves their data in "
                    "the source dialects the engine's adapters read (docs/simulator.md).")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--scale", type=int, default=1,
                        help="multiplies wards and municipal units (1 = about 1,500 beds)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per real second (default 1)")
    parser.add_argument("--start", default="2026-11-23T06:00:00+01:00",
                        help="simulated start, ISO 8601 with zone (default %(default)s)")
    parser.add_argument("--manual-clock", action="store_true",
                        help="time moves only on POST /control/step?seconds=N")
    parser.add_argument("--duration-s", type=float,
                        help="stop the clock after this many simulated seconds (the server, "
                             "exports and truth go on); default: run on")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="HTTP port (0 picks a free one)")
    parser.add_argument("--port-file", help="write the chosen port to this file")
    parser.add_argument("--drop-dir", default="sim-drop",
                        help="folder for the csv/ and xml/ drop folders (default sim-drop)")
    parser.add_argument("--scheduled-export-s", type=float, default=900.0,
                        help="simulated seconds after which a municipality's unchanged snapshot "
                             "is exported again (default 900; 0: only on change)")
    parser.add_argument("--truth-file", help="rewrite the ground truth here (atomically)")
    parser.add_argument("--truth-interval-s", type=float, default=60.0,
                        help="simulated seconds between truth-file writes (default 60)")
    parser.add_argument("--export-interval-s", type=float, default=5.0,
                        help="real seconds between drop-file exports (default 5)")
    parser.add_argument("--write-config", help="write an engine config for this region here")
    parser.add_argument("--engine-port", type=int, default=8080,
                        help="the engine's port in the written config (default 8080)")
    parser.add_argument("--engine-database", default="fhir-engine.db",
                        help="the engine's database in the written config")
    parser.add_argument("--mappings-dir", default=os.path.join(REPO_ROOT, "mappings"),
                        help="where the shipped mappings are (default the repository's)")
    parser.add_argument("--no-mappings", action="store_true",
                        help="write the config without mappings (identity: Basic records)")
    parser.add_argument("--poll-interval-s", type=float, default=5,
                        help="the adapters' poll interval in the written config")
    parser.add_argument("--stale-after-s", type=int, default=60,
                        help="the adapters' stale-after-s in the written config")
    args = parser.parse_args(argv)
    if args.speed <= 0 or args.speed > 1e7:
        parser.error("--speed must be above 0 and at most 10000000")
    try:
        args.start_ms = parse_instant(args.start)
    except ValueError:
        parser.error(f"--start '{args.start}' is not an ISO 8601 date-time")
    if args.duration_s is not None and not 0 <= args.duration_s <= 10 * 366 * 86400:
        parser.error("--duration-s must be from 0 to ten years")
    if not 0 <= args.scheduled_export_s <= 366 * 86400:
        parser.error("--scheduled-export-s must be from 0 to a year")
    if not 1 <= args.scale <= 1000:
        parser.error("--scale must be from 1 to 1000")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    region = Region(args.seed, args.start_ms, os.path.abspath(args.drop_dir), scale=args.scale)
    for drop in region.drop_sources:
        drop.scheduled_ms = int(args.scheduled_export_s * MS_PER_S) or None
    runner = Runner(region, args.speed, args.manual_clock,
                    os.path.abspath(args.truth_file) if args.truth_file else None,
                    args.truth_interval_s, args.export_interval_s, args.duration_s)
    server = start_server(runner, args.host, args.port)
    port = server.server_address[1]
    if args.write_config:
        config = engine_config.build_config(
            region, port, args.write_config, args.mappings_dir, not args.no_mappings,
            args.engine_port, args.engine_database, args.poll_interval_s, args.stale_after_s,
            drop_stale_after_s(args))
        engine_config.write_config(args.write_config, config)
    if args.port_file:
        temporary = args.port_file + ".part"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(f"{port}\n")
        os.replace(temporary, args.port_file)
    print(f"region-simulator: {region.layout.bed_count()} beds, seed {args.seed}, "
          f"start {format_instant(args.start_ms)}, listening on http://{args.host}:{port}",
          flush=True)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0
