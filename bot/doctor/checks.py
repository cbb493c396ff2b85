"""What `amphi doctor` judges, from the server as Discord describes it (plain JSON): each check
a finding with its status and, when it is not ok, how to fix it. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.core.config import Ref, Settings
from bot.standby.model import Holder, Instance, Role
from bot.standby.render import summary

OK, WARN, FAIL = "ok", "warn", "fail"

# Discord's permission bits (https://discord.com/developers/docs/topics/permissions)
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
MENTION_EVERYONE = 1 << 17
MANAGE_CHANNELS = 1 << 4
CONNECT = 1 << 20
MUTE_MEMBERS = 1 << 22
MOVE_MEMBERS = 1 << 24
MANAGE_ROLES = 1 << 28
MANAGE_EVENTS = 1 << 33
CREATE_EVENTS = 1 << 44
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL = (1 << 53) - 1

POST = {VIEW_CHANNEL: "View Channel", SEND_MESSAGES: "Send Messages", EMBED_LINKS: "Embed Links"}
#: What Amphi does in each configured channel, and what that needs.
CHANNEL_NEEDS = {
    "ANNOUNCEMENTS_CHANNEL": POST,
    "MODERATION_CHANNEL": POST,
    "QA_CHANNEL": {
        **POST,
        CREATE_PUBLIC_THREADS: "Create Public Threads",
        SEND_MESSAGES_IN_THREADS: "Send Messages in Threads",
    },
}
#: Roles Amphi gives and takes, and pings in reminders.
AUDIENCE_ROLES = ("IN_PERSON_ROLE", "REMOTE_ROLE")
#: Clock skew (seconds) against Discord's that is harmless, and beyond which posts go out of time.
SKEW_OK, SKEW_FAIL = 2.0, 30.0


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's table."""

    check: str
    status: str  # OK, WARN or FAIL
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Server:
    """The server as the bot sees it: Discord's own objects."""

    guild: dict[str, Any]
    channels: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    member: dict[str, Any]  # the bot's member object


def base_permissions(server: Server) -> int:
    """The bot's server-wide permissions: @everyone's and its roles', all of them if admin."""
    if server.guild.get("owner_id") == server.member["user"]["id"]:
        return ALL
    roles = {r["id"]: int(r["permissions"]) for r in server.roles}
    permissions = roles.get(server.guild["id"], 0)
    for role_id in server.member["roles"]:
        permissions |= roles.get(role_id, 0)
    return ALL if permissions & ADMINISTRATOR else permissions


def channel_permissions(server: Server, channel: dict[str, Any]) -> int:
    """The bot's permissions in `channel`, overwrites applied in Discord's order."""
    permissions = base_permissions(server)
    if permissions & ADMINISTRATOR or permissions == ALL:
        return ALL
    overwrites = {o["id"]: o for o in channel.get("permission_overwrites") or []}

    def apply(allow: int, deny: int) -> None:
        nonlocal permissions
        permissions = (permissions & ~deny) | allow

    everyone = overwrites.get(server.guild["id"])
    if everyone:
        apply(int(everyone["allow"]), int(everyone["deny"]))
    allow = deny = 0
    for role_id in server.member["roles"]:
        if role_id in overwrites:
            allow |= int(overwrites[role_id]["allow"])
            deny |= int(overwrites[role_id]["deny"])
    apply(allow, deny)
    mine = overwrites.get(server.member["user"]["id"])
    if mine:
        apply(int(mine["allow"]), int(mine["deny"]))
    return permissions


def find(ref: Ref, items: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    return next((i for i in items if ref.matches(int(i["id"]), i["name"])), None)


def channel_findings(server: Server, settings: Settings) -> list[Finding]:
    out = []
    for setting, ref in settings.channel_refs().items():
        check = f"channel {setting}={ref.raw}"
        channel = find(ref, server.channels)
        if channel is None:
            out.append(
                Finding(check, FAIL, "no such channel", f"create #{ref.raw} or change {setting}")
            )
            continue
        have = channel_permissions(server, channel)
        missing = [name for bit, name in CHANNEL_NEEDS.get(setting, POST).items() if not have & bit]
        if missing:
            fix = (
                f"in #{channel['name']}'s permissions, allow {', '.join(missing)} for Amphi's role"
            )
            out.append(Finding(check, FAIL, "missing " + ", ".join(missing), fix))
        else:
            out.append(Finding(check, OK, f"#{channel['name']}: can post there"))
    return out


def everyone_can_view(server: Server, channel: dict[str, Any]) -> bool:
    """Whether @everyone (every member) can see `channel`: its server-wide permission, then the
    channel's overwrite for @everyone."""
    roles = {r["id"]: int(r["permissions"]) for r in server.roles}
    permissions = roles.get(server.guild["id"], 0)
    if permissions & ADMINISTRATOR:
        return True
    for overwrite in channel.get("permission_overwrites") or []:
        if overwrite["id"] == server.guild["id"]:
            permissions = (permissions & ~int(overwrite["deny"])) | int(overwrite["allow"])
    return bool(permissions & VIEW_CHANNEL)


def review_findings(server: Server, settings: Settings) -> list[Finding]:
    """The call's review cards: a channel Amphi can post in, that members cannot read (the
    cards show abstracts, authors and scores before any decision)."""
    ref = settings.review_channel
    check = f"channel REVIEW_CHANNEL={ref.raw}"
    channel = find(ref, server.channels)
    if channel is None:
        fix = f"create #{ref.raw}, visible to organizers only, or change REVIEW_CHANNEL"
        return [Finding(check, WARN, "no such channel: a call's proposals get no review card", fix)]
    have = channel_permissions(server, channel)
    missing = [name for bit, name in POST.items() if not have & bit]
    if missing:
        fix = f"in #{channel['name']}'s permissions, allow {', '.join(missing)} for Amphi's role"
        return [Finding(check, FAIL, "missing " + ", ".join(missing), fix)]
    if everyone_can_view(server, channel):
        fix = (
            f"in #{channel['name']}'s permissions, deny View Channel to @everyone and allow it "
            "to the organizers' role"
        )
        return [Finding(check, WARN, "members can read the review cards", fix)]
    return [Finding(check, OK, f"#{channel['name']}: organizers only")]


def top_position(server: Server) -> int:
    positions = {r["id"]: int(r["position"]) for r in server.roles}
    return max((positions.get(r, 0) for r in server.member["roles"]), default=0)


def role_findings(server: Server, settings: Settings) -> list[Finding]:
    out = []
    everywhere = base_permissions(server)
    for setting, ref in settings.role_refs().items():
        check = f"role {setting}={ref.raw}"
        role = find(ref, server.roles)
        if role is None:
            fix = f"create the role {ref.raw!r} or change {setting}"
            out.append(Finding(check, FAIL, "no such role", fix))
            continue
        if setting not in AUDIENCE_ROLES:
            out.append(Finding(check, OK, f"@{role['name']} exists"))
            continue
        if int(role["position"]) >= top_position(server):
            fix = (
                f"Server Settings → Roles: drag Amphi's role above @{role['name']} (Discord "
                "refuses role changes to a role at or above the bot's own: error 50013)"
            )
            out.append(Finding(check, FAIL, f"@{role['name']} is above Amphi's role", fix))
        elif not (role.get("mentionable") or everywhere & MENTION_EVERYONE):
            fix = f"make @{role['name']} mentionable, or allow Amphi to Mention @everyone"
            out.append(Finding(check, WARN, "reminders cannot ping it", fix))
        else:
            out.append(Finding(check, OK, f"@{role['name']}: Amphi gives it and can ping it"))
    if not everywhere & MANAGE_ROLES:
        fix = "Server Settings → Roles → Amphi's role: allow Manage Roles"
        out.append(
            Finding("permission Manage Roles", FAIL, "attendance roles cannot be given", fix)
        )
    else:
        out.append(Finding("permission Manage Roles", OK, "attendance roles can be given"))
    return out


#: Discord's channel types for stage and voice channels, and what an event held there needs.
STAGE, VOICE = 13, 2
EVENT_CHANNEL_NEEDS = {
    STAGE: {
        MANAGE_CHANNELS: "Manage Channels",
        MUTE_MEMBERS: "Mute Members",
        MOVE_MEMBERS: "Move Members",
    },
    VOICE: {VIEW_CHANNEL: "View Channel", CONNECT: "Connect"},
}


def event_findings(server: Server, settings: Settings) -> list[Finding]:
    """Whether the sessions can be put in the Events tab, where the settings hold them."""
    out = []
    if base_permissions(server) & (CREATE_EVENTS | MANAGE_EVENTS):
        out.append(Finding("permission Create Events", OK, "the sessions go in the Events tab"))
    else:
        fix = "Server Settings → Roles → Amphi's role: allow Create Events"
        detail = "the sessions are not put in the Events tab"
        out.append(Finding("permission Create Events", WARN, detail, fix))
    for setting, ref, kind in (
        ("STAGE_CHANNEL", settings.stage_channel, STAGE),
        ("VOICE_CHANNEL", settings.voice_channel, VOICE),
    ):
        if ref is None:
            continue
        check = f"channel {setting}={ref.raw}"
        channels = [c for c in server.channels if c.get("type") == kind]
        channel = find(ref, channels)
        what = "stage" if kind == STAGE else "voice"
        if channel is None:
            fix = f"create a {what} channel {ref.raw!r} or change {setting}"
            out.append(Finding(check, FAIL, f"no such {what} channel", fix))
            continue
        have = channel_permissions(server, channel)
        missing = [name for bit, name in EVENT_CHANNEL_NEEDS[kind].items() if not have & bit]
        if missing:
            fix = f"in {channel['name']}'s permissions, allow {', '.join(missing)} for Amphi's role"
            out.append(Finding(check, FAIL, "missing " + ", ".join(missing), fix))
        else:
            detail = f"{channel['name']}: Amphi starts and ends the events there"
            out.append(Finding(check, OK, detail))
    return out


def signature(command: dict[str, Any]) -> tuple:
    """What makes two versions of a command the same for users: names, types and options."""

    def option(entry: dict[str, Any]) -> tuple:
        return (
            entry["name"],
            entry["type"],
            bool(entry.get("required")),
            bool(entry.get("autocomplete")),
            tuple(c["value"] for c in entry.get("choices") or []),
            tuple(sorted(option(o) for o in entry.get("options") or [])),
        )

    return (
        command["name"],
        command.get("type", 1),
        command.get("description", ""),
        tuple(sorted(option(o) for o in command.get("options") or [])),
    )


def command_finding(local: list[dict[str, Any]], synced: list[dict[str, Any]]) -> Finding:
    check = "slash commands"
    fix = "start the bot once (amphi run): it syncs the commands at start when they changed"
    if not synced:
        return Finding(check, WARN, "not synced to this server yet", fix)
    ours, theirs = {signature(c) for c in local}, {signature(c) for c in synced}
    if ours != theirs:
        changed = sorted({s[0] for s in ours ^ theirs})
        return Finding(check, WARN, "out of date: " + ", ".join(f"/{c}" for c in changed), fix)
    return Finding(check, OK, f"{len(local)} commands synced and up to date")


def skew_finding(skew: float) -> Finding:
    """`skew`: seconds this machine's clock is ahead of Discord's (negative: behind)."""
    check = "clock"
    detail = f"{abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} Discord's"
    if abs(skew) <= SKEW_OK:
        return Finding(check, OK, "in step with Discord's")
    fix = "turn on time synchronisation (timedatectl set-ntp true, or chrony)"
    return Finding(check, FAIL if abs(skew) > SKEW_FAIL else WARN, detail, fix)


def instance_findings(holder: Holder, instances: list[Instance], *, sqlite: bool) -> list[Finding]:
    """The election in the store: the active instance and the standbys, or why none is active;
    on SQLite, that a standby can only run beside the active (one file, one machine)."""
    check = "instances"
    detail = summary(holder, instances)
    if not holder.lapsed:
        out = [Finding(check, OK, detail)]
    elif any(i.role == Role.STANDBY for i in instances):
        fix = "a standby takes the lease at its next look; if this stays, read the standbys' log"
        out = [Finding(check, WARN, detail, fix)]
    else:
        fix = "start the bot: amphi run (systemctl start amphi, or docker compose up -d)"
        out = [Finding(check, WARN, detail, fix)]
    if sqlite:
        out.append(
            Finding(
                "standbys on SQLite",
                OK,
                "one file: a standby can run on this machine only (for one on another host, "
                "use PostgreSQL)",
            )
        )
    return out


def web_finding(settings: Settings, answer: str | None) -> Finding:
    """The web pages: off, or whether PUBLIC_URL answers (`answer`: what /healthz said there,
    or why nothing did; None when the pages are off)."""
    if settings.web_port is None:
        return Finding("web pages", OK, "off (WEB_PORT is not set)")
    url = settings.public_url or f"http://localhost:{settings.web_port}"
    if answer != "ok":
        fix = (
            "start Amphi (it serves the pages while it runs), then check that PUBLIC_URL reaches "
            "WEB_HOST:WEB_PORT (the proxy, the firewall, the compose file's ports)"
        )
        return Finding("PUBLIC_URL", WARN, f"{url} does not answer: {answer}", fix)
    if settings.web_secret is None:
        fix = "put a long random WEB_SECRET in .env: it signs the organizers' links"
        return Finding(
            "WEB_SECRET", WARN, f"{url} answers, but /screen and /dashboard are off", fix
        )
    return Finding("PUBLIC_URL", OK, f"{url} answers")
