"""`amphi doctor`: the server as it is, read with the real token through discord.py's HTTP
client (no gateway: nothing is synced, nothing is posted), and the local set-up it relies on."""

from __future__ import annotations

import asyncio
import dataclasses
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route

from bot.app import create_bot
from bot.core.clock import Clock, utc_now
from bot.core.config import Settings
from bot.core.errors import StoreUnavailable
from bot.doctor.checks import (
    FAIL,
    OK,
    WARN,
    Finding,
    Server,
    channel_findings,
    command_finding,
    event_findings,
    instance_findings,
    review_findings,
    role_findings,
    skew_finding,
    web_finding,
)
from bot.programme.files import MeetingFileError, load_meetings
from bot.programme.model import Meeting
from bot.services import open_services
from bot.standby.model import LeaseTerms
from bot.standby.service import look
from bot.store.db import Database, shown_url, sqlite_file_missing
from bot.store.migrate import current_revision, head_revision


async def examine(settings: Settings, *, clock: Clock = utc_now) -> list[Finding]:
    """Every check, in the order an organizer fixes them."""
    findings = local_findings(settings)
    assert settings.discord_token is not None and settings.guild_id is not None
    http = HTTPClient(asyncio.get_running_loop())
    try:
        try:
            me = await http.static_login(settings.discord_token.reveal())
        except discord.LoginFailure:
            fix = "reset the token on the application's Bot page and put it in .env"
            return [Finding("token", FAIL, "Discord refused DISCORD_TOKEN", fix), *findings]
        found = [Finding("token", OK, f"valid: the bot is {me['username']} ({me['id']})")]
        try:
            server = Server(
                guild=plain(await http.get_guild(settings.guild_id, with_counts=False)),
                channels=plain(await http.get_all_guild_channels(settings.guild_id)),
                roles=plain(await http.get_roles(settings.guild_id)),
                member=plain(await http.get_member(settings.guild_id, me["id"])),
            )
        except (discord.NotFound, discord.Forbidden):
            fix = (
                "invite the bot with the link from the README's set-up, or correct "
                "DISCORD_GUILD_ID (right-click the server → Copy Server ID)"
            )
            detail = f"not a member of server {settings.guild_id}"
            return [*found, Finding("server", FAIL, detail, fix), *findings]
        found.append(Finding("server", OK, f"member of {server.guild['name']!r}"))
        found += channel_findings(server, settings)
        found += review_findings(server, settings)
        found += role_findings(server, settings)
        found += event_findings(server, settings)
        synced = await http.get_guild_commands(me["id"], settings.guild_id)
        found.append(command_finding(await local_commands(settings), plain(synced)))
        found.append(skew_finding(await skew(clock)))
        found.append(web_finding(settings, await web_answer(settings)))
    finally:
        await http.close()
    return [*found, *findings]


def plain(payload: object) -> Any:
    """discord.py's typed payloads, as the plain JSON the checks read."""
    return payload


async def local_commands(settings: Settings) -> list[dict[str, Any]]:
    """What `amphi run` would sync: the commands of its cogs, built over a store in memory."""
    services = open_services(dataclasses.replace(settings, database_url="sqlite://"))
    try:
        bot = create_bot(services)
        for cog in bot.initial_cogs:  # their app commands only: no cog is loaded, nothing runs
            for command in cog.get_app_commands():
                bot.tree.add_command(command)
        return await bot.command_payload()
    finally:
        services.close()


async def web_answer(settings: Settings) -> str | None:
    """What PUBLIC_URL's /healthz says ("ok" from Amphi), or why nothing answered."""
    if settings.web_port is None:
        return None
    url = (settings.public_url or f"http://localhost:{settings.web_port}") + "/healthz"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(url) as response,
        ):
            text = (await response.text()).strip()
            return text if response.status == 200 else f"HTTP {response.status}"
    except (aiohttp.ClientError, TimeoutError) as error:
        return str(error) or type(error).__name__


async def skew(clock: Clock) -> float:
    """Seconds this machine's clock is ahead of Discord's, from Discord's `Date` header."""
    async with aiohttp.ClientSession() as session:
        sent = clock()
        async with session.get(Route.BASE + "/gateway") as response:
            date = parsedate_to_datetime(response.headers["Date"])
        received = clock()
    # Date has whole seconds: compare with the middle of the round trip, rounded down.
    middle = sent + (received - sent) / 2
    return (middle.replace(microsecond=0) - date).total_seconds()


def local_findings(settings: Settings) -> list[Finding]:
    """The store, the meeting files and the video link: what needs no Discord."""
    out = []
    try:
        meetings = load_meetings(settings.meetings_path)
    except MeetingFileError as error:
        fix = f"run `amphi check {settings.meetings_path}` and correct what it lists"
        detail = f"{len(error.errors)} problem(s) in {settings.meetings_path}"
        out.append(Finding("meeting files", FAIL, detail, fix))
        meetings = []
    else:
        titles = ", ".join(m.title for m in meetings)
        out.append(Finding("meeting files", OK, f"{len(meetings)} valid: {titles}"))
    remote = [m for m in meetings if m.remote_capacity is None or m.remote_capacity > 0]
    if remote and settings.remote_link is None:
        fix = "put the video link in REMOTE_LINK (.env): remote attendees get it from Amphi"
        out.append(Finding("REMOTE_LINK", FAIL, f"unset, and {remote[0].title} is remote", fix))
    elif remote:
        out.append(Finding("REMOTE_LINK", OK, "set"))
    out += [source_finding(m) for m in meetings if m.follow.enabled]
    store = store_finding(settings.database_url)
    out.append(store)
    if store.status == OK and not sqlite_file_missing(settings.database_url):
        out += election_findings(settings)
    return out


#: How long the doctor waits for the store to say who is active.
LOOK_SECONDS = 5.0


def election_findings(settings: Settings) -> list[Finding]:
    """The active instance and the standbys, as the store lists them."""
    terms = LeaseTerms(settings.lease_seconds)
    try:
        holder, instances = look(settings.database_url, terms, within=LOOK_SECONDS)
    except StoreUnavailable as error:
        fix = "check DATABASE_URL, and that the database server answers"
        return [Finding("instances", WARN, f"the store did not say: {error}", fix)]
    sqlite = settings.database_url.startswith("sqlite")
    return instance_findings(holder, instances, sqlite=sqlite)


def source_finding(meeting: Meeting) -> Finding:
    """The schedule export a meeting follows: reachable, readable, with talks."""
    from bot.schedule_import.merge import import_schedule
    from bot.schedule_import.sources import SourceError, fetch_source, shown_source

    source = meeting.follow.source
    shown = shown_source(source)  # a key in the URL's query stays out of the report
    check = f"source of {meeting.slug}"
    try:
        data = fetch_source(source)
        imported = import_schedule(data, base=meeting, format=meeting.follow.format)
    except SourceError as error:
        fix = f"correct `source` in its meeting file, or try `amphi import {shown} --dry-run`"
        return Finding(check, FAIL, str(error), fix)
    return Finding(check, OK, f"{len(imported.meeting.talks)} talks at {shown}")


def store_finding(url: str) -> Finding:
    check = f"database {shown_url(url)}"
    if sqlite_file_missing(url):
        return Finding(check, OK, "not created yet: the bot creates it at its first start")
    try:
        db = Database(url)
        try:
            revision = current_revision(db.engine)
        finally:
            db.close()
    except Exception as error:
        fix = "check DATABASE_URL, and that the database server runs and accepts this user"
        return Finding(check, FAIL, f"unreachable: {str(error).splitlines()[0]}", fix)
    if revision != head_revision():
        fix = "back it up; the bot migrates it at start (or run `amphi db upgrade`)"
        return Finding(check, WARN, f"schema {revision or 'empty'}, not {head_revision()}", fix)
    return Finding(check, OK, "reachable, schema up to date")
