"""What keeps a download in bounds: a deadline for the whole of it, and redirects that stay on
the web and never go from https:// down to http://."""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.request
from http.client import HTTPConnection, HTTPMessage, HTTPSConnection
from types import TracebackType
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from bot.schedule_import.sources.schedule import SourceError

WEB_SCHEMES = ("http", "https")


class Watch:
    """The connections of one download, shut down when its deadline passes: a timeout bounds
    each wait, and a server that sends a byte before each would run out never would."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watch:
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)  # a blocked read returns at once, seeing the deadline


def _watched(base: type[HTTPConnection], watch: Watch) -> Any:
    class Watched(base):  # type: ignore[valid-type, misc]
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    return Watched


class WatchedHTTP(urllib.request.HTTPHandler):
    """http:// connections under a Watch."""

    def __init__(self, watch: Watch) -> None:
        super().__init__()
        self.watch = watch

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_watched(HTTPConnection, self.watch), req)


class WatchedHTTPS(urllib.request.HTTPSHandler):
    """https:// connections under a Watch."""

    def __init__(self, watch: Watch) -> None:
        super().__init__()
        self.watch = watch

    def https_open(self, req: urllib.request.Request) -> Any:
        context = getattr(self, "_context", None)
        return self.do_open(_watched(HTTPSConnection, self.watch), req, context=context)


class WebRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects followed to http(s):// addresses only, and never from https:// to http://,
    which would send the request (and a key in its query) in the clear."""

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
    ) -> Any:
        target = headers.get("location") or headers.get("uri")
        if target:  # before urllib's own check, which lets ftp:// through
            _check(req, fp, urljoin(req.full_url, target))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        _check(req, fp, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check(req: urllib.request.Request, fp: IO[bytes], newurl: str) -> None:
    """A SourceError when a redirect from `req` to `newurl` leaves the web or drops https."""
    old = urlsplit(req.full_url).scheme.lower()
    try:
        new = urlsplit(newurl).scheme.lower()
    except ValueError:
        new = ""
    if new in WEB_SCHEMES and not (old == "https" and new == "http"):
        return
    fp.close()
    host = urlsplit(req.full_url).hostname or "The server"
    where = f"a {new}:// address" if new else "an address Amphi cannot read"
    raise SourceError(
        f"{host} redirects the download to {where}, which Amphi does not follow"
        + (" (from https:// to http://, it would travel in the clear). " if new else ". ")
        + "Give the export's final https:// address."
    )
