"""Bringing a schedule export in: a file on disk, or an https:// (or http://) address."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from http.client import HTTPException
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.schedule_import.sources.schedule import SourceError
from bot.schedule_import.sources.watch import (
    WEB_SCHEMES,
    Watch,
    WatchedHTTP,
    WatchedHTTPS,
    WebRedirects,
)


def _version() -> str:
    try:
        return metadata.version("amphi")
    except metadata.PackageNotFoundError:
        return "0"


USER_AGENT = f"Amphi/{_version()} (schedule import)"
# The largest real export at hand (FOSDEM 2013's schedule.xml, 487 events) is 0.7 MB, about
# 1.4 kB an event: a schedule of 5,000 talks fits in 8 MB. Read, a document takes some 25 times
# its size in memory, so the cap also bounds what a hostile export costs.
MAX_BYTES = 8 * 1024 * 1024


def shown_source(source: str) -> str:
    """`source` as a message shows it: a URL's scheme, host (and port) and path only, since its
    query may carry an API key, and its user part a password; a file path as it is."""
    text = source.strip()
    try:
        parts = urlsplit(text)
        if len(parts.scheme) <= 1:  # a path ("C:\…" too)
            return text
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # an unreadable host or port: show none of it
        return f"{text.partition(':')[0].lower()}:// address"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, "", ""))


def fetch_source(source: str, *, timeout: float = 20.0, deadline: float = 60.0) -> bytes:
    """The bytes of the export at `source`, a path or a URL; blocking. A SourceError says
    plainly what went wrong: a missing file, an unreachable host, a timeout, an HTTP status.

    `timeout` bounds each wait for the server, `deadline` the whole download: a server that
    sends a byte now and then is cut off."""
    text = source.strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        raise SourceError(
            f"{shown_source(text)} is not a web address Amphi can read; check it for a typo."
        ) from None
    if len(scheme) > 1:  # "C:\…" is a Windows path, not a URL scheme
        if scheme not in WEB_SCHEMES:
            raise SourceError(
                f"Amphi fetches schedules over https:// (or http://) only, not {scheme}:. "
                "Give the export's web address, or the path of a downloaded file."
            )
        return _download(text, timeout, deadline)
    return _read(Path(text).expanduser())


def _read(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise SourceError(f"{path} is a folder; give the path of the schedule file in it.")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SourceError(
            f"There is no file at {path}. Check the path, or give the export's web address."
        ) from None
    except PermissionError:
        raise SourceError(f"Amphi may not read {path}; check the file's permissions.") from None
    except OSError as error:
        raise SourceError(f"Amphi could not read {path}: {error.strerror or error}.") from None
    return _bounded(data, str(path))


def _download(url: str, timeout: float, deadline: float) -> bytes:
    request = urllib.request.Request(  # noqa: S310  http(s) only: checked above and on redirects
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/xml, */*"}
    )
    shown = shown_source(url)
    host = urlsplit(url).hostname or shown
    watch = Watch(deadline)
    opener = urllib.request.build_opener(WatchedHTTP(watch), WatchedHTTPS(watch), WebRedirects())
    try:
        with watch, opener.open(request, timeout=min(timeout, deadline)) as response:
            data = response.read(MAX_BYTES + 1)
    except SourceError:
        raise
    except Exception as error:
        if watch.expired:
            raise SourceError(
                f"The download from {host} did not finish within {deadline:g} seconds: the "
                "server sends too slowly. Try again later, or download the export and give "
                "its path."
            ) from None
        raise _failed(error, shown, host, timeout) from None
    if watch.expired:
        raise SourceError(
            f"The download from {host} did not finish within {deadline:g} seconds: the server "
            "sends too slowly. Try again later, or download the export and give its path."
        )
    return _bounded(data, shown)


def _failed(error: Exception, shown: str, host: str, timeout: float) -> SourceError:
    """What went wrong with a download, as a sentence."""
    if isinstance(error, urllib.error.HTTPError):
        return SourceError(_status(error.code, error.reason, shown))
    if isinstance(error, urllib.error.URLError):
        return SourceError(_unreachable(error.reason, host, timeout))
    if isinstance(error, TimeoutError):
        return SourceError(_unreachable(error, host, timeout))
    if isinstance(error, HTTPException | OSError):
        return SourceError(f"The download from {host} broke off ({error}). Try again in a moment.")
    if isinstance(error, ValueError):  # a host name no DNS can encode, say
        return SourceError(f"{shown} is not a web address Amphi can read; check it for a typo.")
    raise error


def _status(code: int, reason: object, url: str) -> str:
    advice = {
        401: "The export needs a login: make the timetable public, or add an API key to the URL.",
        403: "The export is not public: make it public, or add an API key that may read it.",
        404: "Check the address, and that the event or schedule is published.",
        429: "The server asks for fewer requests; try again in a few minutes.",
    }.get(code, "Try again later; if it lasts, check the address with the event's organizers.")
    return f"The server answered HTTP {code} {reason} for {url}. {advice}"


def _unreachable(reason: object, host: str, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return (
            f"{host} did not answer within {timeout:g} seconds. Check your connection and "
            "try again, or download the export and give its path."
        )
    if isinstance(reason, ConnectionRefusedError):
        return f"{host} refused the connection. Check the address (and its port), then try again."
    if isinstance(reason, socket.gaierror):
        return f"The host {host} could not be found. Check the address for a typo."
    return f"{host} could not be reached ({reason}). Check the address and your connection."


def _bounded(data: bytes, where: str) -> bytes:
    if len(data) > MAX_BYTES:
        raise SourceError(
            f"{where} is larger than {MAX_BYTES // (1024 * 1024)} MB, far more than a schedule "
            "export; check that it is the right file."
        )
    return data
