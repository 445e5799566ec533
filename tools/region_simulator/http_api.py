"""The simulator's HTTP server on loopback: each hospital's FHIR API under /{source}/fhir, the
JSON municipalities under /kommun/{code}/platser, the ground truth at GET /truth, and the
control endpoints tests drive (/control/admit, probe-bed, pause-source, resume-source, step,
write-truth)."""

import http.server
import json
import threading
import urllib.parse

from .fhir_source import SearchError
from .region import UnknownSource
from .sim_time import format_http_date
from .simulation import SimulationError
from . import municipal_sources

MAX_BODY_BYTES = 65536
MAX_STEP_SECONDS = 366 * 86400


class SimulatorServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, runner):
        self.runner = runner  # has .lock, .region, .manual_clock, .step(s), .write_truth()
        super().__init__(address, SimulatorHandler)


def _outcome(code, text):
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}]}


class SimulatorHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "region-simulator/1"

    def log_message(self, *args):  # quiet: tests and demos read stdout
        pass

    def _send(self, status, body, content_type="application/json", headers=None):
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type + "; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def send_response(self, code, message=None):
        # The Date header tells the fhir-rest adapter the source's clock: simulated time.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())
        self.send_header("Date", format_http_date(self.server.runner.region.simulation.now_ms))

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        parts = [p for p in parsed.path.split("/") if p]
        runner = self.server.runner
        with runner.lock:
            region = runner.region
            if parts == ["truth"]:
                return self._send(200, region.truth())
            if parts == ["health"]:
                return self._send(200, {"status": "ok",
                                        "simulated_time": region.truth()["simulated_time"]})
            if len(parts) >= 2 and parts[1] == "fhir":
                return self._fhir_get(region, parts[0], parts[2:], parsed.query)
            if len(parts) == 3 and parts[0] == "kommun" and parts[2] == "platser":
                return self._json_get(region, parts[1], parsed.query)
        self._send(404, {"error": f"no such path '{parsed.path}'"})

    def _fhir_get(self, region, source_id, rest, query):
        fhir = region.fhir_source(source_id)
        fhir_type = "application/fhir+json"
        if fhir is None:
            return self._send(404, _outcome("not-found", f"no hospital '{source_id}'"), fhir_type)
        if fhir.paused:
            return self._send(503, _outcome("transient", "the source is paused"), fhir_type,
                              {"Retry-After": "5"})
        host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
        base = f"http://{host}/{source_id}/fhir"
        now = region.simulation.now_ms
        if rest == ["metadata"]:
            return self._send(200, _capability_statement(now), fhir_type)
        if len(rest) == 1:
            try:
                return self._send(200, fhir.search(rest[0], query, now, base), fhir_type)
            except SearchError as error:
                return self._send(400, _outcome("invalid", str(error)), fhir_type)
        if len(rest) == 2:
            if rest[0] not in ("Organization", "Location", "Encounter"):
                return self._send(404, _outcome("not-supported", f"no type '{rest[0]}'"),
                                  fhir_type)
            resource = fhir.render(rest[0], rest[1])
            if resource is None:
                return self._send(404, _outcome("not-found", f"{rest[0]}/{rest[1]} is not known"),
                                  fhir_type)
            return self._send(200, resource, fhir_type,
                              {"ETag": f'W/"{resource["meta"]["versionId"]}"'})
        return self._send(404, _outcome("not-supported", "no such interaction"), fhir_type)

    def _json_get(self, region, code, query):
        source = region.json_source(code)
        if source is None:
            return self._send(404, {"error": f"no JSON municipality '{code}'"})
        if source.paused:
            return self._send(503, {"error": "the source is paused"}, headers={"Retry-After": "5"})
        params = urllib.parse.parse_qs(query)
        try:
            offset = int(params.get("offset", ["0"])[-1])
            limit = int(params.get("limit", [str(municipal_sources.DEFAULT_JSON_LIMIT)])[-1])
        except ValueError:
            return self._send(400, {"error": "offset and limit must be whole numbers"})
        if offset < 0 or limit < 1 or limit > municipal_sources.MAX_JSON_LIMIT:
            return self._send(400, {"error": f"offset must be >= 0 and limit 1.."
                                             f"{municipal_sources.MAX_JSON_LIMIT}"})
        return self._send(200, source.page(offset, limit))

    def do_POST(self):
        parsed = urllib.parse.urlsplit(self.path)
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return self._send(413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
        if length:
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("not an object")
            except ValueError as error:
                return self._send(400, {"error": f"the body is not a JSON object: {error}"})
            params.update({k: str(v) for k, v in body.items()})
        runner = self.server.runner
        action = parsed.path.rstrip("/")
        with runner.lock:
            region = runner.region
            try:
                if action == "/control/admit":
                    enc = region.simulation.admit_now(params.get("hospital"), params.get("bed"))
                    src = enc.hospital.source
                    return self._send(200, {
                        "bed": f"Location/{src}-{enc.bed.local_id}",
                        "ward": f"Location/{src}-{enc.bed.ward.local_id}",
                        "organization": f"Organization/{src}-H1",
                        "encounter": f"Encounter/{src}-{enc.local_id}",
                        "published": not region.fhir_source(src).paused})
                if action == "/control/probe-bed":
                    source, bed_id = params.get("hospital"), params.get("bed")
                    if not source or not bed_id:
                        return self._send(400, {"error": "give ?hospital=SOURCE&bed=BED"})
                    bed = region.simulation.probe_bed(source, bed_id)
                    return self._send(200, {
                        "bed": f"Location/{source}-{bed.local_id}",
                        "ward": f"Location/{source}-{bed.ward.local_id}",
                        "state": "closed" if bed.op == "STANGD" else "housekeeping",
                        "events": region.simulation.event_count,
                        "published": not region.fhir_source(source).paused})
                if action in ("/control/pause-source", "/control/resume-source"):
                    name = params.get("name")
                    if not name:
                        return self._send(400, {"error": "give the source as ?name=NAME"})
                    if action.endswith("pause-source"):
                        region.pause(name)
                    else:
                        region.resume(name)
                    return self._send(200, {"source": name, "paused": action.endswith(
                        "pause-source")})
                if action == "/control/step":
                    if not runner.manual_clock:
                        return self._send(409, {"error": "step needs --manual-clock"})
                    try:
                        seconds = float(params.get("seconds", ""))
                    except ValueError:
                        return self._send(400, {"error": "give ?seconds=N (a number)"})
                    if not 0 <= seconds <= MAX_STEP_SECONDS:
                        return self._send(400, {"error": f"seconds must be 0..{MAX_STEP_SECONDS}"})
                    runner.step(seconds)
                    return self._send(200, {"simulated_time": region.truth()["simulated_time"],
                                            "events": region.simulation.event_count})
                if action == "/control/write-truth":
                    runner.write_truth()
                    return self._send(200, {"written": runner.truth_file})
            except (SimulationError, UnknownSource) as error:
                return self._send(400, {"error": str(error)})
        self._send(404, {"error": f"no such control '{parsed.path}'"})


def _capability_statement(now_ms):
    from .sim_time import format_instant
    resources = [{"type": t, "interaction": [{"code": "read"}, {"code": "search-type"}],
                  "searchParam": [{"name": "_lastUpdated", "type": "date"},
                                  {"name": "status", "type": "token"}]}
                 for t in ("Organization", "Location", "Encounter")]
    return {"resourceType": "CapabilityStatement", "status": "active",
            "date": format_instant(now_ms), "kind": "instance", "fhirVersion": "4.0.1",
            "format": ["json"], "rest": [{"mode": "server", "resource": resources}]}


def start_server(runner, host="127.0.0.1", port=0):
    server = SimulatorServer((host, port), runner)
    thread = threading.Thread(target=server.serve_forever, name="simulator-http", daemon=True)
    thread.start()
    return server
