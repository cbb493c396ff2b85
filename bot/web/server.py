"""The web pages' HTTP server (aiohttp), run by the bot's own process while the bot runs, behind
its front (`front`: the process that takes the visitors' connections).

Public: the meeting page and its calendar. Keyed (an HMAC per meeting and page, `signing`): the
room screen with its server-sent events, and the organizers' dashboard. Every answer comes from
the shared snapshot (`service.WebSnapshots`) and carries strict headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.config import Settings
from bot.core.errors import N_, NoMeeting
from bot.core.i18n import Translator
from bot.core.languages import LANGUAGES, preferred_language
from bot.programme.ics import build_calendar, calendar_filename
from bot.web import render
from bot.web.front import FrontProcess
from bot.web.model import Snapshot, screen_state
from bot.web.service import WebSnapshots
from bot.web.signing import DASHBOARD, SCREEN, key_matches, page_key

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: How often a room screen's stream looks at the snapshot, and sends a comment to keep it open.
STREAM_POLL = 0.25
KEEP_ALIVE = 15.0
#: Connections the system holds while the loop is busy: a crowd arrives all at once.
BACKLOG = 1024
#: Pages answered at once. The bot's loop serves Discord first: a crowd's pages take turns, so
#: that each turn of the loop does a little of their work between the members' commands.
TURNS = 8
#: What a browser may load on these pages: their own files only, no inline script or style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the keys are in the addresses: never pass them on
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Refusal(Exception):
    """A request the pages refuse politely: its status and message id (translated)."""

    def __init__(self, status: int, message: str, **values: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.values = values


def choose_language(query: str | None, accept: str) -> str:
    """?lang= when given (Refusal 400 when Amphi does not speak it), else the browser's first
    language Amphi speaks, else English."""
    if query is not None:
        if query.lower() not in LANGUAGES:
            raise Refusal(
                400,
                N_("Unknown language {lang}: use ?lang=en or ?lang=fr."),
                lang=query[:20],
            )
        return query.lower()
    return preferred_language(accept)


class WebServer:
    """The pages of every loaded meeting, served on WEB_HOST:WEB_PORT."""

    def __init__(self, settings: Settings, snapshots: WebSnapshots) -> None:
        self.settings = settings
        self.snapshots = snapshots
        self.port = settings.web_port or 0
        self._runner: web.AppRunner | None = None
        self._front: FrontProcess | None = None
        self._closing = asyncio.Event()
        self._pages: dict[tuple[str, str, str], tuple[Snapshot, bytes]] = {}
        self._turns = asyncio.Semaphore(TURNS)
        self.app = self._build()

    @property
    def secret(self) -> str | None:
        return self.settings.web_secret.reveal() if self.settings.web_secret else None

    @property
    def base_url(self) -> str:
        """The address links use: PUBLIC_URL, else this machine's."""
        return self.settings.public_url or f"http://localhost:{self.port}"

    def public_link(self, slug: str) -> str:
        return f"{self.base_url}/m/{slug}"

    def link(self, slug: str, page: str) -> str | None:
        """The signed address of `page` (screen, dashboard); None without WEB_SECRET."""
        if self.secret is None:
            return None
        return f"{self.base_url}/m/{slug}/{page}?key={page_key(self.secret, slug, page)}"

    def _build(self) -> web.Application:
        app = web.Application(middlewares=[self._refusals])
        app.on_response_prepare.append(_strict_headers)
        app.add_routes(
            [
                web.get("/", self.home),
                web.get("/healthz", self.health),
                web.get("/favicon.ico", self.no_icon),
                web.get("/m/{slug}", self.public),
                web.get("/m/{slug}/calendar.ics", self.calendar),
                web.get("/m/{slug}/counters.json", self.counters),
                web.get("/m/{slug}/screen", self.screen),
                web.get("/m/{slug}/screen/events", self.screen_events),
                web.get("/m/{slug}/dashboard", self.dashboard),
                web.static("/static", STATIC, append_version=False),
            ]
        )
        return app

    async def start(self) -> None:
        """Listen on 127.0.0.1 for the front, and start the front on WEB_HOST:WEB_PORT (port 0:
        a free one, then kept in `port`)."""
        self._closing.clear()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=BACKLOG)
        await site.start()
        self._runner = runner
        server = getattr(site, "_server", None)
        backend = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        front = FrontProcess(self.settings.web_host, self.port, backend)
        try:
            self.port = await front.start()
        except OSError:
            await self.stop()
            raise
        self._front = front
        host = self.settings.web_host
        log.info("Web pages at %s (listening on %s:%d)", self.base_url, host, self.port)

    async def stop(self) -> None:
        """Stop the front, close the streams and stop listening."""
        self._closing.set()
        if self._front is not None:
            front, self._front = self._front, None
            await front.stop()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # The handlers.

    @web.middleware
    async def _refusals(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            if request.path.endswith("/events"):  # a stream lasts: it takes no turn
                return await handler(request)
            async with self._turns:
                return await handler(request)
        except Refusal as refusal:
            return self._refused(request, refusal)
        except NoMeeting:
            slug = request.match_info.get("slug", "")
            unknown = Refusal(404, N_("There is no meeting {slug} here."), slug=slug[:100])
            return self._refused(request, unknown)

    def _refused(self, request: web.Request, refusal: Refusal) -> web.Response:
        try:
            language = _language(request)
        except Refusal:  # an unknown ?lang=: the browser's language says why
            language = choose_language(None, request.headers.get("Accept-Language", ""))
        tr = Translator(language)
        message = tr.gettext(refusal.message, **refusal.values)
        return web.Response(
            status=refusal.status,
            text=render.error_page(refusal.status, message, tr, language=language),
            content_type="text/html",
            headers={"Cache-Control": "no-store"},
        )

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def no_icon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)  # browsers ask; there is none

    async def home(self, request: web.Request) -> web.Response:
        meeting = await self.snapshots.active_meeting()
        query = f"?{request.query_string}" if request.query_string else ""
        raise web.HTTPFound(f"/m/{meeting.slug}{query}")

    async def public(self, request: web.Request) -> web.Response:
        language = _language(request)
        slug = request.match_info["slug"]
        snapshot = await self.snapshots.snapshot(slug)
        cached = self._pages.get(("public", slug, language))
        if cached is None or cached[0] is not snapshot:
            # Rendered once per snapshot and language, whatever the crowd.
            page = render.public_page(
                snapshot, Translator(language), language=language, links=self._links(snapshot)
            )
            cached = (snapshot, page.encode())
            self._pages[("public", slug, language)] = cached
        return web.Response(
            body=cached[1],
            content_type="text/html",
            charset="utf-8",
            # As fresh as the snapshot: a caching proxy in front of PUBLIC_URL may then answer
            # a crowd itself, asking Amphi once a second per language.
            headers={"Cache-Control": "public, max-age=1", "Vary": "Accept-Language"},
        )

    async def counters(self, request: web.Request) -> web.Response:
        """The public page's figures, which an open page asks for again every few seconds."""
        language = _language(request)
        snapshot = await self.snapshots.snapshot(request.match_info["slug"])
        figures = render.public_counters(snapshot, Translator(language), language)
        return web.json_response(
            {key: value for key, _label, value in figures},
            headers={"Cache-Control": "public, max-age=1", "Vary": "Accept-Language"},
        )

    def _links(self, snapshot: Snapshot) -> dict[str, str]:
        meeting = snapshot.meeting
        site = meeting.url if meeting.url.startswith(("https://", "http://")) else ""
        guild = self.settings.guild_id or 0
        discord = self.settings.discord_invite or f"https://discord.com/channels/{guild}"
        return {
            "calendar": f"/m/{meeting.slug}/calendar.ics",
            "discord": discord,
            "site": site,
        }

    async def calendar(self, request: web.Request) -> web.Response:
        snapshot = await self.snapshots.snapshot(request.match_info["slug"])
        meeting = snapshot.meeting
        return web.Response(
            body=build_calendar(meeting, generated_at=snapshot.taken_at),
            content_type="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="{calendar_filename(meeting)}"',
                "Cache-Control": "public, max-age=60",  # the programme, which seldom moves
            },
        )

    async def _keyed(self, request: web.Request, page: str) -> Snapshot:
        """The snapshot, once the key opens `page`: 403 and no data otherwise."""
        slug = request.match_info["slug"]
        if not key_matches(self.secret, slug, page, request.query.get("key")):
            raise Refusal(
                403,
                N_(
                    "This link's key is wrong or no longer valid. Ask an organizer for a new "
                    "one (/screen or /dashboard in Discord)."
                ),
            )
        return await self.snapshots.snapshot(slug)

    def _payload(self, snapshot: Snapshot, request: web.Request, tr: Translator) -> dict[str, Any]:
        state = screen_state(snapshot, room=request.query.get("room", ""))
        return render.screen_payload(snapshot, state, tr, guild_id=self.settings.guild_id or 0)

    async def screen(self, request: web.Request) -> web.Response:
        language = _language(request)
        snapshot = await self._keyed(request, SCREEN)
        tr = Translator(language)
        stream = f"/m/{snapshot.meeting.slug}/screen/events?{request.query_string}"
        page = render.screen_page(
            snapshot, self._payload(snapshot, request, tr), tr, language=language, stream=stream
        )
        return web.Response(text=page, content_type="text/html", headers=_private())

    async def screen_events(self, request: web.Request) -> web.StreamResponse:
        """The room screen's state, sent again each time it changes (server-sent events)."""
        language = _language(request)
        snapshot = await self._keyed(request, SCREEN)
        tr = Translator(language)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "X-Accel-Buffering": "no",  # a proxy in front must not hold the events back
                **_private(),
            }
        )
        await response.prepare(request)
        sent, quiet = "", 0.0
        with contextlib.suppress(ConnectionResetError):  # the screen went away
            while not self._closing.is_set():
                data = json.dumps(self._payload(snapshot, request, tr), ensure_ascii=False)
                if data != sent:
                    await response.write(f"event: state\ndata: {data}\n\n".encode())
                    sent, quiet = data, 0.0
                elif quiet >= KEEP_ALIVE:
                    await response.write(b": still here\n\n")
                    quiet = 0.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), STREAM_POLL)
                quiet += STREAM_POLL
                snapshot = await self.snapshots.snapshot(snapshot.meeting.slug)
        return response

    async def dashboard(self, request: web.Request) -> web.Response:
        language = _language(request)
        snapshot = await self._keyed(request, DASHBOARD)
        page = render.dashboard_page(snapshot, Translator(language), language=language)
        return web.Response(text=page, content_type="text/html", headers=_private())


def _language(request: web.Request) -> str:
    return choose_language(request.query.get("lang"), request.headers.get("Accept-Language", ""))


def _private() -> dict[str, str]:
    return {"Cache-Control": "no-store"}


async def _strict_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/static/") and response.status == 200:
        # The same files until the bot is upgraded: the front and browsers keep them a minute.
        response.headers.setdefault("Cache-Control", "public, max-age=60")
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
