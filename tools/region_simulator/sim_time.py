"""Simulated-time helpers: instants are integer milliseconds since the Unix epoch (UTC);
daily rhythms and the municipal exports use Europe/Stockholm local time."""

import datetime
import zoneinfo

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
MS_PER_S = 1000
MS_PER_MIN = 60 * MS_PER_S
MS_PER_HOUR = 60 * MS_PER_MIN
MS_PER_DAY = 24 * MS_PER_HOUR


def parse_instant(text):
    """Parses an ISO-8601 date-time with a zone (or 'Z'); a bare date-time is Stockholm time."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=STOCKHOLM)
    return int(round(parsed.timestamp() * 1000))


def format_instant(ms):
    """FHIR instant in UTC with milliseconds: 2026-11-23T07:00:00.000Z."""
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def local(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=STOCKHOLM)


def format_local_minutes(ms):
    """The CSV dialect's 'uppdaterad': YYYY-MM-DD HH:MM, Stockholm local time."""
    return local(ms).strftime("%Y-%m-%d %H:%M")


def format_local_seconds(ms):
    """The XML and JSON dialects' 'uppdaterad': YYYY-MM-DDTHH:MM:SS, Stockholm local time."""
    return local(ms).strftime("%Y-%m-%dT%H:%M:%S")


def format_http_date(ms):
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def local_hour_and_weekday(ms):
    """(hour 0-23, weekday 0=Monday..6=Sunday) in Stockholm."""
    moment = local(ms)
    return moment.hour, moment.weekday()


def next_local_time(ms, hour, minute=0):
    """The first instant at or after ms whose Stockholm wall clock reads hour:minute."""
    moment = local(ms)
    candidate = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate.timestamp() * 1000 < ms:
        candidate = (moment + datetime.timedelta(days=1)).replace(
            hour=hour, minute=minute, second=0, microsecond=0)
    return int(candidate.timestamp() * 1000)
