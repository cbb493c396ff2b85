"""The double's Guild Scheduled Events against discord.py: routes, Discord's validation and
permissions, status transitions, the automation of external events, and the gateway events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord.http import Route

from fake_discord import FakeDiscord, RequestRecord, start_test_bot, stop_test_bot
from fake_discord.state import STAGE, VOICE

NOW = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)  # the bot under test runs in 2021
START, END = NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
CREATE_EVENTS, MANAGE_EVENTS = 1 << 44, 1 << 33
MANAGE_CHANNELS, VIEW_CHANNEL, CONNECT = 1 << 4, 1 << 10, 1 << 20
MUTE_MEMBERS, MOVE_MEMBERS = 1 << 22, 1 << 24
DROP = object()  # a key the payload leaves out


class Clock:
    """Discord's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(fake: FakeDiscord) -> Clock:
    """The double's clock, fixed in 2021."""
    fixed = Clock(NOW)
    fake.clock = fixed
    return fixed


@pytest.fixture
async def client(fake: FakeDiscord, clock: Clock) -> AsyncIterator[discord.Client]:
    """A client with the scheduled events intent, in a guild with a stage and a voice channel;
    its role may also host stage events (the default bot role lacks mute and move members)."""
    fake.add_channel("stage", STAGE)
    fake.add_channel("hall", VOICE)
    grant(fake, MUTE_MEMBERS | MOVE_MEMBERS)
    bot = make_client(guild_scheduled_events=True)
    await start_test_bot(bot, fake)
    yield bot
    await stop_test_bot(bot)


def make_client(**intents: bool) -> discord.Client:
    return discord.Client(intents=discord.Intents(guilds=True, **intents), guild_ready_timeout=0.1)


def guild_of(fake: FakeDiscord, client: discord.Client) -> discord.Guild:
    guild = client.get_guild(fake.guild_id)
    assert guild is not None
    return guild


def external(**changes: Any) -> dict[str, Any]:
    """A valid EXTERNAL create payload, with `changes` (DROP leaves a key out)."""
    payload: dict[str, Any] = {
        "name": "Biau: WGANs",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": START.isoformat(),
        "scheduled_end_time": END.isoformat(),
        "entity_metadata": {"location": "Amphi A"},
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not DROP}


def hosted(entity_type: int, channel: Any, **changes: Any) -> dict[str, Any]:
    """A STAGE_INSTANCE (1) or VOICE (2) create payload in `channel`."""
    return external(
        entity_type=entity_type,
        channel_id=channel,
        entity_metadata=DROP,
        scheduled_end_time=DROP,
        **changes,
    )


def events_route(fake: FakeDiscord, method: str, tail: str = "", **params: Any) -> Route:
    path = "/guilds/{guild_id}/scheduled-events" + tail
    return Route(method, path, guild_id=params.pop("guild_id", fake.guild_id), **params)


async def post(fake: FakeDiscord, client: discord.Client, payload: Any) -> Any:
    return await client.http.request(events_route(fake, "POST"), json=payload)


async def patch(fake: FakeDiscord, client: discord.Client, event_id: int, **body: Any) -> Any:
    route = events_route(fake, "PATCH", "/{event_id}", event_id=event_id)
    return await client.http.request(route, json=body)


async def refusal(call: Any) -> discord.HTTPException:
    with pytest.raises(discord.HTTPException) as caught:
        await call
    return caught.value


def grant(fake: FakeDiscord, permission: int) -> None:
    """Add `permission` to the bot's role."""
    role = fake.state.role(fake.bot.name)
    role.permissions = str(int(role.permissions) | permission)


def without(fake: FakeDiscord, permission: int) -> None:
    """Take `permission` from the bot's role and from @everyone."""
    for role in (fake.state.role(fake.bot.name), fake.state.roles[fake.guild_id]):
        role.permissions = str(int(role.permissions) & ~permission)


def sent(fake: FakeDiscord, event: str) -> list[dict[str, Any]]:
    """The payloads of the gateway events of type `event` the bot's session was sent."""
    assert fake.gateway.session is not None
    return [frame["d"] for frame in fake.gateway.session.log if frame["t"] == event]


async def eventually(check: Callable[[], bool]) -> None:
    """Wait up to 2 s for the client to have handled the gateway events `check` looks for."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the client never got there")


# ----- creating and reading ------------------------------------------------------------------
async def test_external_stage_and_voice_events_are_created_and_read_back(
    fake: FakeDiscord, client: discord.Client
) -> None:
    guild = guild_of(fake, client)
    stage, hall = (
        guild.get_channel(fake.channel_id("stage")),
        guild.get_channel(fake.channel_id("hall")),
    )
    assert isinstance(stage, discord.StageChannel) and isinstance(hall, discord.VoiceChannel)
    talk = await guild.create_scheduled_event(
        name="Biau: WGANs",
        start_time=START,
        end_time=END,
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Amphi A",
        description="Opening talk",
        image=PNG,
    )
    panel = await guild.create_scheduled_event(
        name="Panel", start_time=START, channel=stage, privacy_level=discord.PrivacyLevel.guild_only
    )
    chat = await guild.create_scheduled_event(
        name="Chat", start_time=START, channel=hall, privacy_level=discord.PrivacyLevel.guild_only
    )
    assert talk.location == "Amphi A" and talk.end_time == END and talk.channel_id is None
    assert talk.creator_id == fake.bot.id and talk.status is discord.EventStatus.scheduled
    assert talk.cover_image is not None
    assert panel.entity_type is discord.EntityType.stage_instance and panel.channel_id == stage.id
    assert chat.entity_type is discord.EntityType.voice and chat.channel_id == hall.id
    assert chat.cover_image is None and chat.end_time is None
    stored = fake.scheduled_events[talk.id]
    assert stored.scheduled_start_time == START and stored.history == [SCHEDULED]
    assert stored.creator["id"] == str(fake.bot.id)

    fake.mark_interested(talk.id, fake.add_member("alice"))
    fetched = {e.name: e for e in await guild.fetch_scheduled_events(with_counts=True)}
    assert set(fetched) == {"Biau: WGANs", "Panel", "Chat"}
    assert (fetched["Biau: WGANs"].user_count, fetched["Panel"].user_count) == (1, 0)
    assert fetched["Biau: WGANs"].description == "Opening talk"
    plain = await client.http.get_scheduled_events(guild.id, False)
    assert all("user_count" not in e for e in plain)
    one = await client.http.get_scheduled_event(guild.id, talk.id, True)
    assert one["user_count"] == 1 and one["entity_metadata"] == {"location": "Amphi A"}
    # The client learnt of each event from the gateway too.
    await eventually(lambda: len(guild.scheduled_events) == 3)
    assert len(sent(fake, "GUILD_SCHEDULED_EVENT_CREATE")) == 3


async def test_an_image_is_stored_as_a_hash(fake: FakeDiscord, client: discord.Client) -> None:
    payload = external(image="data:image/png;base64,iVBORw0KGgo=")
    data = await post(fake, client, payload)
    path = f"/guilds/{fake.guild_id}/scheduled-events"
    assert fake.requests[-1] == RequestRecord("POST", path, 200, payload)
    assert isinstance(data["image"], str) and len(data["image"]) == 32
    assert fake.scheduled_events[int(data["id"])].image == data["image"]
    assert (await post(fake, client, external()))["image"] is None


async def test_events_reach_only_a_session_with_the_scheduled_events_intent(
    fake: FakeDiscord, clock: Clock
) -> None:
    bot = make_client()
    await start_test_bot(bot, fake)
    try:
        await post(fake, bot, external())
        assert sent(fake, "GUILD_SCHEDULED_EVENT_CREATE") == []
    finally:
        await stop_test_bot(bot)


async def test_guild_create_carries_the_listed_events(
    fake: FakeDiscord, client: discord.Client
) -> None:
    kept = await post(fake, client, external(name="Kept"))
    dropped = await post(fake, client, external(name="Cancelled"))
    await patch(fake, client, int(dropped["id"]), status=CANCELED)
    await stop_test_bot(client)
    again = make_client(guild_scheduled_events=True)
    await start_test_bot(again, fake)
    try:
        guild = guild_of(fake, again)
        assert [e.name for e in guild.scheduled_events] == ["Kept"]
        assert guild.scheduled_events[0].id == int(kept["id"])
    finally:
        await stop_test_bot(again)


# ----- Discord's validation -------------------------------------------------------------------
REFUSED = [
    ("name missing", external(name=DROP), "name"),
    ("name empty", external(name=""), "name"),
    ("name too long", external(name="x" * 101), "name"),
    ("description too long", external(description="x" * 1001), "description"),
    ("privacy missing", external(privacy_level=DROP), "privacy_level"),
    ("privacy public", external(privacy_level=1), "privacy_level"),
    ("entity type missing", external(entity_type=DROP), "entity_type"),
    ("entity type unknown", external(entity_type=4), "entity_type"),
    ("location missing", external(entity_metadata={}), "entity_metadata.location"),
    ("no metadata", external(entity_metadata=DROP), "entity_metadata.location"),
    ("location too long", external(entity_metadata={"location": "x" * 101}), "location"),
    ("external without end", external(scheduled_end_time=DROP), "scheduled_end_time"),
    ("external in a channel", external(channel_id="#hall"), "channel_id"),
    ("stage without channel", hosted(1, DROP), "channel_id"),
    ("stage in a voice channel", hosted(1, "#hall"), "channel_id"),
    ("voice in a stage channel", hosted(2, "#stage"), "channel_id"),
    ("voice in a text channel", hosted(2, "#general"), "channel_id"),
    ("voice in no channel", hosted(2, "12345"), "channel_id"),
    ("start missing", external(scheduled_start_time=DROP), "scheduled_start_time"),
    ("start not a time", external(scheduled_start_time="tomorrow"), "scheduled_start_time"),
    ("start now", external(scheduled_start_time=NOW.isoformat()), "scheduled_start_time"),
    (
        "start in the past",
        external(scheduled_start_time=(NOW - timedelta(hours=1)).isoformat()),
        "scheduled_start_time",
    ),
    ("end before start", external(scheduled_end_time=NOW.isoformat()), "scheduled_end_time"),
    ("end at start", external(scheduled_end_time=START.isoformat()), "scheduled_end_time"),
    ("image not a data URI", external(image="https://example.org/a.png"), "image"),
    ("image of another type", external(image="data:image/bmp;base64,Qk0="), "image"),
    ("image not base64", external(image="data:image/png;base64,@@@"), "image"),
    ("not an object", ["Biau"], "body"),
]


@pytest.mark.discord_invalid_requests
@pytest.mark.parametrize(
    ("payload", "field"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
async def test_discord_refuses_an_invalid_event(
    fake: FakeDiscord, client: discord.Client, payload: Any, field: str
) -> None:
    if isinstance(payload, dict):
        payload = {
            k: fake.channel_id(v[1:]) if isinstance(v, str) and v.startswith("#") else v
            for k, v in payload.items()
        }
    refused = await refusal(post(fake, client, payload))
    assert (refused.status, refused.code) == (400, 50035)
    assert field in refused.text
    assert fake.scheduled_events == {}


@pytest.mark.discord_invalid_requests
async def test_discord_py_leaves_out_entity_type_and_privacy_unless_given(
    fake: FakeDiscord, client: discord.Client
) -> None:
    """guild.create_scheduled_event infers EXTERNAL from a location but does not send it."""
    refused = await refusal(
        guild_of(fake, client).create_scheduled_event(
            name="Biau", start_time=START, end_time=END, location="Amphi A"
        )
    )
    assert refused.code == 50035
    assert "entity_type" in refused.text and "privacy_level" in refused.text


@pytest.mark.discord_invalid_requests
async def test_an_edit_is_held_to_the_same_rules(fake: FakeDiscord, client: discord.Client) -> None:
    event = int((await post(fake, client, external()))["id"])
    cases = [
        ({"name": ""}, "name"),
        ({"privacy_level": 1}, "privacy_level"),
        ({"scheduled_start_time": (NOW - timedelta(minutes=1)).isoformat()}, "start"),
        ({"scheduled_end_time": NOW.isoformat()}, "scheduled_end_time"),
        ({"scheduled_end_time": None}, "scheduled_end_time"),
        ({"entity_metadata": {"location": ""}}, "location"),
        ({"entity_type": 2}, "channel_id"),  # a voice event needs its channel
        ({"entity_type": 2, "channel_id": fake.channel_id("stage")}, "channel_id"),
    ]
    for body, field in cases:
        refused = await refusal(patch(fake, client, event, **body))
        assert (refused.status, refused.code, field in refused.text) == (400, 50035, True), body
    assert fake.scheduled_events[event].name == "Biau: WGANs"
    assert fake.scheduled_events[event].entity_type == 3


async def test_an_edit_changes_fields_and_entity_type(
    fake: FakeDiscord, client: discord.Client
) -> None:
    guild = guild_of(fake, client)
    hall = guild.get_channel(fake.channel_id("hall"))
    assert isinstance(hall, discord.VoiceChannel)
    event = await guild.fetch_scheduled_event(int((await post(fake, client, external()))["id"]))
    later = START + timedelta(hours=2)
    moved = await event.edit(name="Biau, moved", start_time=later, end_time=later + timedelta(1))
    assert (moved.name, moved.start_time, moved.location) == ("Biau, moved", later, "Amphi A")
    voice = await moved.edit(channel=hall)
    assert voice.entity_type is discord.EntityType.voice and voice.channel_id == hall.id
    assert voice.location is None
    back = await voice.edit(
        entity_type=discord.EntityType.external, location="Amphi B", end_time=later + timedelta(2)
    )
    assert back.entity_type is discord.EntityType.external and back.channel_id is None
    assert fake.scheduled_events[event.id].location == "Amphi B"
    await eventually(lambda: guild.scheduled_events[0].location == "Amphi B")


async def test_an_unknown_guild_or_event_is_not_found(
    fake: FakeDiscord, client: discord.Client
) -> None:
    other = await refusal(client.http.request(events_route(fake, "GET", guild_id=1234)))
    assert (other.status, other.code) == (404, 10004)
    gone = await refusal(client.http.get_scheduled_event(fake.guild_id, 1234, False))
    assert (gone.status, gone.code, gone.text) == (404, 10070, "Unknown Guild Scheduled Event")


# ----- permissions ----------------------------------------------------------------------------
@pytest.mark.discord_invalid_requests
async def test_without_create_events_the_bot_cannot_create_edit_or_delete(
    fake: FakeDiscord, client: discord.Client
) -> None:
    event = int((await post(fake, client, external()))["id"])
    without(fake, CREATE_EVENTS | MANAGE_EVENTS)
    for call in (
        post(fake, client, external()),
        patch(fake, client, event, name="Renamed"),
        client.http.delete_scheduled_event(fake.guild_id, event),
    ):
        refused = await refusal(call)
        assert (refused.status, refused.code) == (403, 50013)
    assert [e.name for e in fake.scheduled_events.values()] == ["Biau: WGANs"]
    assert not fake.scheduled_events[event].deleted


async def test_manage_events_alone_is_enough(fake: FakeDiscord, client: discord.Client) -> None:
    without(fake, CREATE_EVENTS)
    grant(fake, MANAGE_EVENTS)
    event = int((await post(fake, client, external()))["id"])
    assert (await patch(fake, client, event, name="Renamed"))["name"] == "Renamed"


@pytest.mark.discord_invalid_requests
@pytest.mark.parametrize(
    ("entity_type", "channel", "permission"),
    [
        (1, "stage", MANAGE_CHANNELS),
        (1, "stage", MUTE_MEMBERS),
        (1, "stage", MOVE_MEMBERS),
        (2, "hall", VIEW_CHANNEL),
        (2, "hall", CONNECT),
    ],
)
async def test_a_stage_or_voice_event_needs_its_hosting_permissions(
    fake: FakeDiscord, client: discord.Client, entity_type: int, channel: str, permission: int
) -> None:
    payload = hosted(entity_type, fake.channel_id(channel))
    without(fake, permission)
    refused = await refusal(post(fake, client, payload))
    assert (refused.status, refused.code) == (403, 50013)
    assert fake.scheduled_events == {}


# ----- statuses -------------------------------------------------------------------------------
async def test_a_stage_event_is_started_and_ended_by_the_bot(
    fake: FakeDiscord, client: discord.Client, clock: Clock
) -> None:
    guild = guild_of(fake, client)
    stage = guild.get_channel(fake.channel_id("stage"))
    assert isinstance(stage, discord.StageChannel)
    panel = await guild.create_scheduled_event(
        name="Panel", start_time=START, channel=stage, privacy_level=discord.PrivacyLevel.guild_only
    )
    clock.now = START + timedelta(minutes=5)
    await fake.advance_scheduled_events()  # Discord does not start stage events itself
    assert fake.scheduled_events[panel.id].status == SCHEDULED
    started = await panel.start()
    assert started.status is discord.EventStatus.active
    ended = await started.end()
    assert ended.status is discord.EventStatus.completed
    assert fake.scheduled_events[panel.id].history == [SCHEDULED, ACTIVE, COMPLETED]
    # A completed event drops out of the list but can still be fetched until deleted.
    assert await guild.fetch_scheduled_events() == []
    assert (await guild.fetch_scheduled_event(panel.id)).status is discord.EventStatus.completed
    await eventually(lambda: guild.scheduled_events[0].status is discord.EventStatus.completed)


async def test_a_scheduled_event_can_be_cancelled(
    fake: FakeDiscord, client: discord.Client
) -> None:
    event = await guild_of(fake, client).fetch_scheduled_event(
        int((await post(fake, client, external()))["id"])
    )
    cancelled = await event.cancel()
    assert cancelled.status is discord.EventStatus.cancelled
    assert fake.scheduled_events[event.id].history == [SCHEDULED, CANCELED]
    assert await client.http.get_scheduled_events(fake.guild_id, False) == []


INVALID_TRANSITIONS = [
    ([], COMPLETED),
    ([], 5),
    ([ACTIVE], SCHEDULED),
    ([ACTIVE], CANCELED),
    ([ACTIVE, COMPLETED], ACTIVE),
    ([ACTIVE, COMPLETED], SCHEDULED),
    ([CANCELED], SCHEDULED),
    ([CANCELED], ACTIVE),
]


@pytest.mark.discord_invalid_requests
@pytest.mark.parametrize(("path", "status"), INVALID_TRANSITIONS)
async def test_discord_refuses_an_invalid_status_change(
    fake: FakeDiscord, client: discord.Client, path: list[int], status: int
) -> None:
    event = int((await post(fake, client, hosted(2, fake.channel_id("hall"))))["id"])
    for step in path:
        await patch(fake, client, event, status=step)
    refused = await refusal(patch(fake, client, event, status=status))
    assert (refused.status, refused.code) == (400, 50035)
    assert "status" in refused.text
    assert fake.scheduled_events[event].history == [SCHEDULED, *path]


@pytest.mark.discord_invalid_requests
@pytest.mark.parametrize("finished", [COMPLETED, CANCELED])
async def test_a_finished_event_cannot_be_edited(
    fake: FakeDiscord, client: discord.Client, finished: int
) -> None:
    event = int((await post(fake, client, hosted(2, fake.channel_id("hall"))))["id"])
    for step in [ACTIVE, COMPLETED] if finished == COMPLETED else [CANCELED]:
        await patch(fake, client, event, status=step)
    refused = await refusal(patch(fake, client, event, name="Renamed"))
    assert (refused.status, refused.code) == (400, 50035)
    assert fake.scheduled_events[event].name == "Biau: WGANs"


@pytest.mark.discord_invalid_requests
async def test_an_active_events_start_cannot_move(
    fake: FakeDiscord, client: discord.Client
) -> None:
    event = int((await post(fake, client, hosted(1, fake.channel_id("stage"))))["id"])
    await patch(fake, client, event, status=ACTIVE)
    later = (START + timedelta(hours=1)).isoformat()
    refused = await refusal(patch(fake, client, event, scheduled_start_time=later))
    assert (refused.status, refused.code) == (400, 50035)
    assert "scheduled_start_time" in refused.text
    # Sending the start it already has is no change.
    same = await patch(fake, client, event, scheduled_start_time=START.isoformat(), name="Live")
    assert same["name"] == "Live"


@pytest.mark.discord_invalid_requests
async def test_an_edit_sends_no_start_in_the_past_not_even_the_one_it_has(
    fake: FakeDiscord, client: discord.Client, clock: Clock
) -> None:
    """A stage event not started on time keeps its past start; an edit that sends it back
    is refused as a start in the past, and one without it goes through."""
    event = int((await post(fake, client, hosted(1, fake.channel_id("stage"))))["id"])
    clock.now = START + timedelta(minutes=5)
    refused = await refusal(
        patch(fake, client, event, scheduled_start_time=START.isoformat(), name="Renamed")
    )
    assert (refused.status, refused.code) == (400, 50035)
    assert "scheduled_start_time: must be in the future" in refused.text
    assert fake.scheduled_events[event].name == "Biau: WGANs"
    assert (await patch(fake, client, event, name="Renamed"))["name"] == "Renamed"


@pytest.mark.discord_invalid_requests
async def test_a_stage_holds_one_active_event_at_a_time(
    fake: FakeDiscord, client: discord.Client
) -> None:
    stage = fake.channel_id("stage")
    first = int((await post(fake, client, hosted(1, stage)))["id"])
    second = int((await post(fake, client, hosted(1, stage, name="Next")))["id"])
    await patch(fake, client, first, status=ACTIVE)
    refused = await refusal(patch(fake, client, second, status=ACTIVE))
    assert (refused.status, refused.code) == (400, 150006)
    assert fake.scheduled_events[second].status == SCHEDULED
    await patch(fake, client, first, status=COMPLETED)
    assert (await patch(fake, client, second, status=ACTIVE))["status"] == ACTIVE


# ----- Discord's automation of external events ------------------------------------------------
async def test_an_external_event_starts_and_ends_with_the_clock(
    fake: FakeDiscord, client: discord.Client, clock: Clock
) -> None:
    guild = guild_of(fake, client)
    event = int((await post(fake, client, external()))["id"])
    clock.now = START - timedelta(seconds=1)
    assert (await client.http.get_scheduled_event(guild.id, event, False))["status"] == SCHEDULED
    clock.now = START
    assert (await client.http.get_scheduled_event(guild.id, event, False))["status"] == ACTIVE
    await eventually(lambda: guild.scheduled_events[0].status is discord.EventStatus.active)
    clock.now = END + timedelta(minutes=1)
    assert await client.http.get_scheduled_events(guild.id, False) == []
    assert fake.scheduled_events[event].history == [SCHEDULED, ACTIVE, COMPLETED]
    updates = [d["status"] for d in sent(fake, "GUILD_SCHEDULED_EVENT_UPDATE")]
    assert updates == [ACTIVE, COMPLETED]


async def test_discords_timer_sends_the_updates_without_a_request(
    fake: FakeDiscord, client: discord.Client, clock: Clock
) -> None:
    guild = guild_of(fake, client)
    event = int((await post(fake, client, external()))["id"])
    requests = len(fake.requests)
    clock.now = END  # past both the start and the end at once
    changed = await fake.advance_scheduled_events()
    assert [e.id for e in changed] == [event, event]
    updates = [d["status"] for d in sent(fake, "GUILD_SCHEDULED_EVENT_UPDATE")]
    assert updates == [ACTIVE, COMPLETED]
    assert fake.scheduled_events[event].history == [SCHEDULED, ACTIVE, COMPLETED]
    await eventually(lambda: guild.scheduled_events[0].status is discord.EventStatus.completed)
    assert len(fake.requests) == requests
    assert await fake.advance_scheduled_events() == []


# ----- deleting -------------------------------------------------------------------------------
async def test_a_deleted_event_is_not_found_any_more(
    fake: FakeDiscord, client: discord.Client
) -> None:
    guild = guild_of(fake, client)
    event = await guild.fetch_scheduled_event(int((await post(fake, client, external()))["id"]))
    await eventually(lambda: len(guild.scheduled_events) == 1)
    await event.delete()
    assert fake.scheduled_events[event.id].deleted
    gone = await refusal(guild.fetch_scheduled_event(event.id))
    assert (gone.status, gone.code) == (404, 10070)
    for call in (
        event.delete(),
        event.edit(name="Again"),
        client.http.get_scheduled_event_users(guild.id, event.id, 10, False),
    ):
        assert (await refusal(call)).code == 10070
    assert await guild.fetch_scheduled_events() == []
    await eventually(lambda: len(guild.scheduled_events) == 0)


async def test_an_organizer_deletes_an_event_by_hand(
    fake: FakeDiscord, client: discord.Client
) -> None:
    guild = guild_of(fake, client)
    deleted: list[int] = []

    @client.event
    async def on_scheduled_event_delete(event: discord.ScheduledEvent) -> None:
        deleted.append(event.id)

    event = int((await post(fake, client, external()))["id"])
    fake.delete_event_by_hand(event)
    assert await client.http.get_scheduled_events(guild.id, False) == []
    await eventually(lambda: deleted == [event])
    assert fake.scheduled_event("Biau: WGANs").deleted
    assert [e.name for e in fake.scheduled_events.values()] == ["Biau: WGANs"]  # created once
    with pytest.raises(KeyError):
        fake.delete_event_by_hand(event)
    with pytest.raises(KeyError):
        fake.mark_interested(event, fake.add_member("alice"))


# ----- interested users -----------------------------------------------------------------------
async def test_interested_users_are_listed(fake: FakeDiscord, client: discord.Client) -> None:
    guild = guild_of(fake, client)
    event = int((await post(fake, client, external()))["id"])
    members = [fake.add_member(name) for name in ("alice", "bob", "carol")]
    for member in reversed(members):
        fake.mark_interested(event, member)
    fake.mark_interested(event, "alice")  # a second click changes nothing
    assert fake.scheduled_events[event].interested == [m.id for m in reversed(members)]
    fetched = await guild.fetch_scheduled_event(event)
    assert fetched.user_count == 3
    assert [u.name async for u in fetched.users()] == ["alice", "bob", "carol"]
    page = await client.http.get_scheduled_event_users(guild.id, event, 2, True)
    assert [e["user"]["username"] for e in page] == ["alice", "bob"]
    assert all(e["member"]["user"]["id"] == e["user_id"] for e in page)
    assert {e["guild_scheduled_event_id"] for e in page} == {str(event)}
    after = await client.http.get_scheduled_event_users(
        guild.id, event, 10, False, after=page[0]["user_id"]
    )
    assert [e["user"]["username"] for e in after] == ["bob", "carol"]
    assert all("member" not in e for e in after)
    before = await client.http.get_scheduled_event_users(
        guild.id, event, 1, False, before=members[2].id
    )
    assert [e["user"]["username"] for e in before] == ["bob"]
    assert len(sent(fake, "GUILD_SCHEDULED_EVENT_USER_ADD")) == 3


@pytest.mark.discord_invalid_requests
@pytest.mark.parametrize("limit", [0, 101])
async def test_the_users_limit_is_between_1_and_100(
    fake: FakeDiscord, client: discord.Client, limit: int
) -> None:
    event = int((await post(fake, client, external()))["id"])
    users = client.http.get_scheduled_event_users(fake.guild_id, event, limit, False)
    refused = await refusal(users)
    assert (refused.status, refused.code) == (400, 50035)
    assert "limit" in refused.text
