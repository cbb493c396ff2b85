"""Bringing a schedule export in: a file on disk, or an https:// (or http://) address."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from http.client import HTTPException
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from bot.schedule_import.sources.schedule import SourceError


def _version() -> str:
    try:
        return metadata.version("amphi")
    except metadata.PackageNotFoundError:
        return "0"


USER_AGENT = f"Amphi/{_version()} (schedule import)"
MAX_BYTES = 64 * 1024 * 1024  # a schedule of thousands of talks is a few MB


def fetch_source(source: str, *, timeout: float = 20.0) -> bytes:
    """The bytes of the export at `source`, a path or a URL; blocking. A SourceError says
    plainly what went wrong: a missing file, an unreachable host, a timeout, an HTTP status."""
    text = source.strip()
    scheme = urlsplit(text).scheme.lower()
    if len(scheme) > 1:  # "C:\…" is a Windows path, not a URL scheme
        if scheme not in ("http", "https"):
            raise SourceError(
                f"Amphi fetches schedules over https:// (or http://) only, not {scheme}:. "
                "Give the export's web address, or the path of a downloaded file."
            )
        return _download(text, timeout)
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


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/xml, */*"}
    )
    host = urlsplit(url).hostname or url
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise SourceError(_status(error.code, error.reason, url)) from None
    except urllib.error.URLError as error:
        raise SourceError(_unreachable(error.reason, host, timeout)) from None
    except TimeoutError:
        raise SourceError(_unreachable(TimeoutError(), host, timeout)) from None
    except (HTTPException, OSError) as error:
        raise SourceError(
            f"The download from {host} broke off ({error}). Try again in a moment."
        ) from None
    return _bounded(data, url)


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
