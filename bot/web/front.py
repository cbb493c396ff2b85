"""The web pages' front: a process of its own, started and stopped by the bot's, that takes the
visitors' connections on WEB_HOST:WEB_PORT.

The announcement of the public page sends hundreds of people to it within seconds. Answered on
the bot's event loop, each of their requests would take a turn between the members' commands.
The front answers the shared pages (the public page, its calendar, the static files) from what
the bot's server last said, asked again at most once per `max-age` of its answer and per
language, the crowd waiting for one answer together; it passes every other request (the keyed
pages, the room screen's stream) to the bot's server on 127.0.0.1 as it comes. It imports
aiohttp alone and ends with the bot: when its standard input closes, as it does when the bot's
process stops or dies.

Run as `python -m bot.web.front HOST PORT BACKEND_PORT`; it prints `listening PORT` once ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import resource
import signal
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout, TCPConnector, web
from multidict import CIMultiDict, CIMultiDictProxy

from bot.core.languages import LANGUAGES, preferred_language

log = logging.getLogger(__name__)

#: What the front answers from its copy: the public page, its calendar and figures, the static
#: files.
SHARED = re.compile(r"^/(m/[^/]+(/calendar\.ics|/counters\.json)?|static/[^?]+)?$")
#: Answers kept at once (each a page per language): a visitor's odd address costs one.
KEPT = 256
#: The longest a shared answer is kept, whatever it says.
MAX_KEEP = 60.0
#: The largest answer the front keeps or passes whole (a stream is passed as it comes).
MAX_BODY = 8 * 1024 * 1024
#: Connections the system holds while the front is busy: a crowd arrives all at once.
BACKLOG = 1024
#: How long the bot's server may take to answer a page (its streams have no limit).
PAGE_SECONDS = 30.0
#: A visitor's connection left idle this long is closed: a crowd must not hold them all.
KEEP_ALIVE_SECONDS = 15.0
#: How long the bot's server may stay silent on a passed request (the screen's stream says
#: something every 15 s).
SILENCE_SECONDS = 60.0
#: The bot's server away is logged at most this often, not once per visitor.
WARN_EVERY = 10.0
#: Headers not passed back: those of one connection (RFC 9110, 7.6.1), and the date.
NOT_PASSED_BACK = frozenset(
    h.lower()
    for h in (
        "Connection",
        "Keep-Alive",
        "Proxy-Connection",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Content-Length",
        "Date",  # the front's own: a copy's would age
    )
)
#: What a visitor's request passes on to the bot's server: nothing that names them, and no
#: condition (a 304 asked by one visitor must not reach the others sharing the answer).
PASSED_ON = ("Accept", "Accept-Language", "Last-Event-ID")
#: The longest header value passed on (a language list is a few dozen characters).
HEADER_CHARS = 200
#: The front's own answers (the bot's server away, a method the pages do not take).
OWN_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
AWAY = (
    "The meeting's pages are restarting: try again in a moment.\n"
    "Les pages de la réunion redémarrent : réessayez dans un instant.\n"
)
MAX_AGE = re.compile(r"(?:^|,)\s*max-age=(\d+)")


@dataclass(frozen=True)
class Answer:
    """An answer of the bot's server, whole."""

    status: int
    headers: CIMultiDict[str]
    body: bytes
    keep_until: float  # on time.monotonic(); 0: shared with those who waited for it, not kept

    def response(self) -> web.Response:
        return web.Response(status=self.status, headers=self.headers, body=self.body)


def shared_ask(request: web.Request) -> tuple[str, str] | None:
    """What a shared page's answer depends on, and all that is asked of the bot's server: its
    path, `?lang=` and the language the browser prefers (a static file: its path alone). An
    address of its own per visitor (another query, an odd header) costs no request more. None
    for an unknown `?lang=`, which is passed as it comes (the server says why)."""
    path = request.path
    if path.startswith("/static/"):
        return path, ""
    lang = request.query.get("lang")
    if lang is None:
        return path, preferred_language(request.headers.get("Accept-Language", "")[:HEADER_CHARS])
    if lang.lower() not in LANGUAGES:
        return None
    return f"{path}?lang={lang.lower()}", ""


def keep_for(headers: CIMultiDict[str]) -> float:
    """How long an answer may be kept, by its Cache-Control: `public, max-age=N`, else 0."""
    control = headers.get("Cache-Control", "").lower()
    found = MAX_AGE.search(control)
    if "public" not in control or found is None or "no-store" in control:
        return 0.0
    return min(float(found.group(1)), MAX_KEEP)


def passed_back(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in NOT_PASSED_BACK)


class Front:
    """Listens for visitors and answers them from the bot's server at `backend` (a port of
    127.0.0.1)."""

    def __init__(self, backend: int, *, now=time.monotonic) -> None:
        self.backend = f"http://127.0.0.1:{backend}"
        self.now = now
        self.asked = 0  # requests made of the bot's server, for tests and benchmarks
        self._warned_at = -WARN_EVERY
        self._kept: OrderedDict[tuple[str, str], Answer] = OrderedDict()
        self._asking: dict[tuple[str, str], asyncio.Future[Answer]] = {}
        self._http: ClientSession | None = None
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self.app.cleanup_ctx.append(self._session)

    async def _session(self, app: web.Application):
        # No limit of connections: the screens' streams last, and the crowd is answered from
        # the copy. Nothing in a visitor's request reaches the server but PASSED_ON.
        connector = TCPConnector(limit=0)
        async with ClientSession(connector=connector, auto_decompress=False) as http:
            self._http = http
            yield
        self._http = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return web.Response(
                status=405, text="GET only.\n", headers={**OWN_HEADERS, "Allow": "GET, HEAD"}
            )
        try:
            shared = shared_ask(request) if SHARED.match(request.path) else None
            if shared is not None:
                return (await self.shared(*shared)).response()
            return await self.passed(request)
        except (ClientError, TimeoutError) as error:
            if self.now() - self._warned_at >= WARN_EVERY:
                self._warned_at = self.now()
                log.warning("The bot's server did not answer %s: %s", request.path, error)
            return web.Response(status=503, text=AWAY, headers={**OWN_HEADERS, "Retry-After": "5"})

    async def shared(self, address: str, language: str) -> Answer:
        """The answer kept for this address and language, or the one being asked for, or a new
        one: one request of the bot's server for a crowd."""
        key = (address, language)
        kept = self._kept.get(key)
        if kept is not None and kept.keep_until > self.now():
            self._kept.move_to_end(key)
            return kept
        asking = self._asking.get(key)
        if asking is None:
            asking = asyncio.ensure_future(self._ask(address, language))
            self._asking[key] = asking
            asking.add_done_callback(lambda done: self._asked(key, done))
        return await asyncio.shield(asking)  # a visitor leaving does not cancel the others'

    def _asked(self, key: tuple[str, str], done: asyncio.Future[Answer]) -> None:
        del self._asking[key]
        if done.cancelled() or done.exception() is not None:
            return
        answer = done.result()
        if answer.keep_until > self.now():
            self._kept[key] = answer
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        else:
            self._kept.pop(key, None)

    async def _ask(self, address: str, language: str) -> Answer:
        assert self._http is not None
        self.asked += 1
        timeout = ClientTimeout(total=PAGE_SECONDS)
        async with self._http.get(
            self.backend + address,
            headers={"Accept-Language": language} if language else {},
            timeout=timeout,
            allow_redirects=False,  # `/` leads the visitor to the active meeting's page
        ) as upstream:
            body = await _whole(upstream)
            headers = passed_back(upstream.headers)
            kept = keep_for(headers)
            return Answer(upstream.status, headers, body, self.now() + kept if kept else 0.0)

    async def passed(self, request: web.Request) -> web.StreamResponse:
        """The bot's server's answer, passed as it comes (the room screen's stream lasts)."""
        assert self._http is not None
        self.asked += 1
        timeout = ClientTimeout(total=None, sock_connect=5, sock_read=SILENCE_SECONDS)
        async with self._http.request(
            request.method,
            self.backend + request.path_qs,
            headers=_passed_on(request),
            timeout=timeout,
            allow_redirects=False,
        ) as upstream:
            headers = passed_back(upstream.headers)
            if upstream.content_type != "text/event-stream":
                body = await asyncio.wait_for(_whole(upstream), PAGE_SECONDS)
                return web.Response(status=upstream.status, headers=headers, body=body)
            response = web.StreamResponse(status=upstream.status, headers=headers)
            await response.prepare(request)
            with contextlib.suppress(ConnectionResetError, ClientError):  # either end left
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
            return response


class FrontProcess:
    """The front, seen from the bot's process: started, watched (started again should it
    die), and stopped."""

    #: How long the front may take to start listening.
    START_SECONDS = 30.0
    #: How long it may take to stop once told; then it is killed.
    STOP_SECONDS = 1.0

    def __init__(self, host: str, port: int, backend: int) -> None:
        self.host, self.port, self.backend = host, port, backend
        self._process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> int:
        """Start the front; the port it listens on (port 0: a free one, kept from then on)."""
        self.port = await self._spawn()
        self._watch = asyncio.create_task(self._watch_over(), name="amphi-web-front")
        return self.port

    async def _spawn(self) -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", __name__, self.host, str(self.port), str(self.backend)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), self.START_SECONDS)
        except TimeoutError:
            line = b""
        except BaseException:  # cancelled as it starts: it must not outlive this
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            raise
        if not line.startswith(b"listening "):
            await _ended(process, 0)
            raise OSError(f"the web pages' front could not listen on {self.host}:{self.port}")
        self._process = process
        return int(line.split()[1])

    async def _watch_over(self) -> None:
        pause = 1.0
        while self._process is not None:
            status = await self._process.wait()
            log.error("The web pages' front stopped (status %s); starting it again", status)
            await asyncio.sleep(pause)
            try:
                await self._spawn()
                pause = 1.0
            except OSError as error:
                log.error("%s", error)
                pause = min(pause * 2, 30.0)

    async def stop(self) -> None:
        """Close the front's standard input (it stops listening), and kill it if it lingers."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        process, self._process = self._process, None
        if process is not None:
            await _ended(process, self.STOP_SECONDS)


async def _ended(process: asyncio.subprocess.Process, grace: float) -> None:
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        pass
    finally:
        if process.returncode is None:  # it lingers, or the stop was cut short: killed
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    await process.wait()


async def _whole(upstream: ClientResponse) -> bytes:
    """The answer's body, up to MAX_BODY."""
    body = bytearray()
    async for chunk in upstream.content.iter_any():
        body += chunk
        if len(body) > MAX_BODY:
            raise ClientError(f"an answer over {MAX_BODY} bytes")
    return bytes(body)


def _passed_on(request: web.Request) -> dict[str, str]:
    """The headers passed on, each cut to HEADER_CHARS: the same as the copies' keys."""
    return {
        name: request.headers[name][:HEADER_CHARS] for name in PASSED_ON if name in request.headers
    }


async def serve(host: str, port: int, backend: int) -> None:
    """Listen on host:port until standard input closes."""
    front = Front(backend)
    runner = web.AppRunner(
        front.app, access_log=None, shutdown_timeout=1.0, keepalive_timeout=KEEP_ALIVE_SECONDS
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=BACKLOG, reuse_address=True)
    await site.start()
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None) or []
    print(f"listening {sockets[0].getsockname()[1] if sockets else port}", flush=True)
    try:
        # The bot's process holds the other end: it closes when the bot stops or dies.
        await asyncio.to_thread(sys.stdin.buffer.read)
    finally:
        await runner.cleanup()


def _allow_a_crowd() -> None:
    """As many open connections as the system allows this process (often 1,024 by default)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="front: %(message)s")
    # Ctrl+C in a terminal reaches the whole group: the bot stops the front in its turn.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _allow_a_crowd()
    host, port, backend = argv[0], int(argv[1]), int(argv[2])
    try:
        asyncio.run(serve(host, port, backend))
    except OSError as error:
        print(f"front: cannot listen on {host}:{port}: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
