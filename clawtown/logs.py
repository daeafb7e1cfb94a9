"""Log formats of `twistd clawtown`: twistd's text lines (default) or JSON lines.

``--log-format json`` (or ``CT_LOG_FORMAT=json``) makes every log event one JSON object on one
line: ``time`` (ISO 8601 UTC), ``level``, ``namespace``, ``message``, then the event's own
structured fields (``request_id``, ``route``, ``status``, ``duration_ms``, ``player_id``, …) and
``failure`` (a traceback) when the event carries one.

How it is installed: twistd builds its log observer from ``--logger`` (a fully-qualified
observer factory) when given, which is read only after all options are parsed. So once
``clawtown``'s options say json, :func:`use_json_logs` puts the factory there; twistd then
logs everything, its own start-up lines included, through it.  An explicit ``twistd --logger``
wins.  ``twistd --logger=clawtown.logs.json_observer clawtown`` works too.

The JSON goes where twistd would have written text: ``--logfile`` if given (``-``: stdout),
stdout with ``--nodaemon``, else ``twistd.log``.  This module imports no reactor.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from twisted.logger import FileLogObserver, ILogObserver, formatEvent
from twisted.python.failure import Failure
from twisted.python.logfile import LogFile

LOG_FORMATS = ("text", "json")
DEFAULT_LOG_FORMAT = "text"

#: Keys of an event that are Twisted's own bookkeeping, not fields worth a column of their own.
_INTERNAL_KEYS = frozenset({"message", "format", "isError", "system", "time", "failure", "why", "printed"})
#: Field names that could hold a secret are never written, whatever logged them.
_SECRET_WORDS = ("token", "authorization", "password", "secret", "joincode", "cookie")
_SCALARS = (str, int, float, bool, type(None))


def _iso(seconds: float | None) -> str:
    when = datetime.fromtimestamp(seconds if seconds is not None else 0, tz=UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _secret_name(key: str) -> bool:
    lowered = key.lower().replace("_", "").replace("-", "")
    return any(word in lowered for word in _SECRET_WORDS)


def event_fields(event: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object written for one log event."""
    level = event.get("log_level")
    out: dict[str, Any] = {
        "time": _iso(event.get("log_time")),
        "level": getattr(level, "name", "info"),
        "namespace": event.get("log_namespace", "-"),
        "message": formatEvent(dict(event)),
    }
    for key, value in event.items():
        if key.startswith("log_") or key in _INTERNAL_KEYS or key in out or _secret_name(key):
            continue
        if isinstance(value, _SCALARS) and not (isinstance(value, float) and math.isnan(value)):
            out[key] = value
    failure = event.get("log_failure")
    if failure is None and isinstance(event.get("failure"), Failure):  # legacy log.err: the text holds the traceback
        failure = event["failure"]
        out["message"] = str(event.get("why") or "Unhandled Error")
    if failure is not None:
        try:
            out["failure"] = failure.getTraceback()
        except Exception:  # noqa: BLE001 - a broken failure must not break logging
            out["failure"] = repr(failure)
    return out


def format_json_line(event: Mapping[str, Any]) -> str:
    """One event as one line of JSON (ending in a newline)."""
    return orjson.dumps(event_fields(event), default=str).decode("utf-8") + "\n"


def json_file_observer(out: IO[str]) -> ILogObserver:
    """A log observer writing JSON lines to the text file ``out``."""
    return FileLogObserver(out, format_json_line)


#: Where :func:`json_observer` writes when twistd calls it with no arguments: set by
#: :func:`use_json_logs` from twistd's own ``--logfile`` and ``--nodaemon``.
_twistd_destination: dict[str, Any] = {"logfile": None, "nodaemon": True}

#: The name twistd resolves (``namedAny``) to the factory of its log observer.
JSON_OBSERVER_NAME = "clawtown.logs.json_observer"


def json_observer(logfile: str | None = None, nodaemon: bool | None = None) -> ILogObserver:
    """A JSON-lines log observer; twistd's ``--logger`` calls it with no arguments.

    Without a ``logfile`` (or with ``-``) it writes to stdout when not daemonized, else to
    ``twistd.log``, like twistd's own text logger.  stdout is bound now: twistd redirects
    ``sys.stdout`` into the log afterwards, and writing there would loop.
    """
    if logfile is None:
        logfile = _twistd_destination["logfile"]
    if nodaemon is None:
        nodaemon = _twistd_destination["nodaemon"]
    if logfile == "-" or (not logfile and nodaemon):
        return json_file_observer(sys.stdout)
    return json_file_observer(LogFile.fromFullPath(logfile or "twistd.log"))


def use_json_logs(twistd_options: Any) -> bool:
    """Make twistd log JSON lines (see the module doc); False if it cannot (no twistd, or --logger given)."""
    if twistd_options is None or not hasattr(twistd_options, "get"):
        return False
    if twistd_options.get("logger"):
        return False
    _twistd_destination["logfile"] = twistd_options.get("logfile") or None
    _twistd_destination["nodaemon"] = bool(twistd_options.get("nodaemon", True))
    # twistd resolves the name after every option is parsed (ServerOptions.postOptions).
    twistd_options["logger"] = JSON_OBSERVER_NAME
    return True
