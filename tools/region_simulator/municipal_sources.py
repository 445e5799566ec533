"""The municipalities' exports in their three dialects (/tmp/dialects.txt sections 2-4): CSV and
XML drop files written atomically into drop folders, and a JSON API with offset paging. Each keeps
the state it has published, which is what the engine can know."""

import os
import time
import xml.sax.saxutils

from .sim_time import format_local_minutes, format_local_seconds

CSV_HEADER = "kommun;enhet;enhetstyp;plats;platstyp;status;uppdaterad"
MAX_JSON_LIMIT = 1000
DEFAULT_JSON_LIMIT = 100


def place_record(place):
    """The published form of a place: (enhet, enhetstyp, plats, platstyp, status, changed ms)."""
    return (place.unit.code, place.unit.kind, place.nr, place.place_type, place.status,
            place.changed_ms)


class MunicipalSource:
    """The published places of one municipality (plats number -> place_record)."""

    def __init__(self, municipality):
        self.municipality = municipality
        self.code = municipality.code
        self.published = {}
        self.last_change_ms = None

    def live_records(self):
        return {p.nr: place_record(p) for p in self.municipality.places}

    def publish(self, now_ms):
        """Takes the live state as published; True when anything changed."""
        live = self.live_records()
        if live == self.published:
            return False
        self.published = live
        self.last_change_ms = now_ms
        return True

    def publish_place(self, place, now_ms):
        record = place_record(place)
        if self.published.get(place.nr) != record:
            self.published[place.nr] = record
            self.last_change_ms = now_ms


DEFAULT_SCHEDULED_EXPORT_MS = 15 * 60 * 1000


class DropFolderSource:
    """A drop folder the csv-file or xml-file adapter reads: one file per municipality per
    export, each a full snapshot of its places, named so byte order is write order."""

    def __init__(self, name, dialect, folder, municipalities):
        if dialect not in ("csv", "xml"):
            raise ValueError(f"unknown drop-file dialect '{dialect}'")
        self.name = name
        self.kind = f"{dialect}-file"
        self.dialect = dialect
        self.folder = folder
        self.paused = False
        self.members = [MunicipalSource(m) for m in municipalities]
        self._file_no = 0
        self.files_written = 0
        # Snapshots superseded by a newer one of the same municipality: removed once older
        # than keep_superseded_s (a newer full snapshot makes them redundant), so the folder
        # stays small when no engine archives the files.
        self.keep_superseded_s = 120
        self._superseded = []
        self._latest = {}
        # Exports are scheduled: a municipality's snapshot is written again, unchanged, when its
        # last file is this many simulated ms old, so the engine sees an active source as fresh
        # (a drop folder's freshness is its last file). None: only on change.
        self.scheduled_ms = DEFAULT_SCHEDULED_EXPORT_MS
        self._last_file_ms = {}

    @property
    def last_change_ms(self):
        times = [m.last_change_ms for m in self.members if m.last_change_ms is not None]
        return max(times) if times else None

    def export(self, now_ms):
        """Writes a file for every municipality whose places changed since its last file, or
        whose last file is scheduled_ms old (nothing while paused). Returns the paths written."""
        if self.paused:
            return []
        written = []
        os.makedirs(self.folder, exist_ok=True)
        for member in self.members:
            changed = member.publish(now_ms)
            last_file = self._last_file_ms.get(member.code)
            due = (self.scheduled_ms is not None and last_file is not None
                   and now_ms - last_file >= self.scheduled_ms)
            if not changed and not due:
                continue
            self._last_file_ms[member.code] = now_ms
            self._file_no += 1
            final = os.path.join(self.folder, f"platser-{member.code}-{self._file_no:09d}."
                                              f"{self.dialect}")
            if self.dialect == "csv":
                payload = render_csv(member.code, member.published).encode("iso-8859-1")
            else:
                payload = render_xml(member.code, member.published).encode("iso-8859-1")
            temporary = final + ".part"
            with open(temporary, "wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
            written.append(final)
            self.files_written += 1
            if member.code in self._latest:
                self._superseded.append(self._latest[member.code])
            self._latest[member.code] = final
        self._remove_superseded()
        return written

    def _remove_superseded(self):
        cutoff = time.time() - self.keep_superseded_s
        kept = []
        for path in self._superseded:
            try:
                if os.path.getmtime(path) < cutoff:
                    os.remove(path)
                else:
                    kept.append(path)
            except FileNotFoundError:
                pass  # archived or removed by the engine already
        self._superseded = kept


def render_csv(code, records):
    lines = [CSV_HEADER]
    for nr in sorted(records):
        unit, kind, plats, place_type, status, changed_ms = records[nr]
        lines.append(";".join([code, unit, kind, str(plats), place_type, status,
                               format_local_minutes(changed_ms)]))
    return "\r\n".join(lines) + "\r\n"


def render_xml(code, records):
    quote = xml.sax.saxutils.quoteattr
    escape = xml.sax.saxutils.escape
    out = ['<?xml version="1.0" encoding="ISO-8859-1"?>', "<platser>"]
    for nr in sorted(records):
        unit, _, plats, place_type, status, changed_ms = records[nr]
        out.append(f"  <plats kommun={quote(code)} enhet={quote(unit)} nr=\"{plats}\">"
                   f"<typ>{escape(place_type)}</typ><status>{escape(status)}</status>"
                   f"<uppdaterad>{format_local_seconds(changed_ms)}</uppdaterad></plats>")
    out.append("</platser>")
    return "\n".join(out) + "\n"


class JsonApiSource:
    """One municipality's JSON API (GET {base}/platser?offset=N&limit=M); publishes every change
    at once unless paused (then the API answers 503)."""

    def __init__(self, name, municipality):
        self.name = name
        self.kind = "json-rest"
        self.paused = False
        self.member = MunicipalSource(municipality)

    @property
    def last_change_ms(self):
        return self.member.last_change_ms

    def publish(self, now_ms):
        if not self.paused:
            self.member.publish(now_ms)

    def publish_place(self, place, now_ms):
        if not self.paused:
            self.member.publish_place(place, now_ms)

    def page(self, offset, limit):
        records = self.member.published
        numbers = sorted(records)[offset:offset + limit]
        out = []
        for nr in numbers:
            unit, kind, plats, place_type, status, changed_ms = records[nr]
            out.append({"kommun": self.member.code, "enhet": unit, "enhetstyp": kind,
                        "plats": str(plats), "platstyp": place_type, "status": status,
                        "uppdaterad": format_local_seconds(changed_ms)})
        return out
