"""The fake Discord against the real discord.py client: login, commands, components, errors."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from fake_discord import (
    FakeDiscord,
    FakeMember,
    Latency,
    fake_discord,
    start_test_bot,
    stop_test_bot,
)

TALKS = ["biau-wgans", "bianchi-flows", "dupont-mcmc"]


class JoinView(discord.ui.View):
    """A persistent view with one button."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Join", custom_id="amphi:join", style=discord.ButtonStyle.primary)
    async def join(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Answer the click privately."""
        await interaction.response.send_message(f"joined {interaction.user.name}", ephemeral=True)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    """A modal with one text input."""

    comment: discord.ui.TextInput = discord.ui.TextInput(label="Comment", custom_id="comment")

    def __init__(self) -> None:
        super().__init__(custom_id="feedback")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Thank the user with what they typed."""
        await interaction.response.send_message(f"thanks: {self.comment.value}", ephemeral=True)


class PickView(discord.ui.View):
    """A select that edits its message (type 7) and a button that defers (type 6)."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="amphi:pick", options=[discord.SelectOption(label=t, value=t) for t in TALKS]
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        """Show the pick in the message itself."""
        await interaction.response.edit_message(content=f"picked {select.values[0]}")

    @discord.ui.button(label="Refresh", custom_id="amphi:refresh")
    async def refresh(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Defer the update, then edit the message through @original."""
        await interaction.response.defer()
        await interaction.edit_original_response(content="refreshed")


class SmallBot(commands.Bot):
    """A minimal bot exercising what Amphi needs from Discord."""

    def __init__(self, guild_id: int) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            guild_ready_timeout=0.1,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.guild = discord.Object(guild_id)
        self.error_codes: list[int] = []
        self.error_seen = asyncio.Event()
        for command in (ping, slow, feedback, late, edit, assign):
            self.tree.add_command(command, guild=self.guild)
        self.tree.add_command(event, guild=self.guild)

    async def setup_hook(self) -> None:
        """Register the persistent view and sync the guild commands."""
        self.add_view(JoinView())
        await self.tree.sync(guild=self.guild)


@app_commands.command(description="Ping the bot")
@app_commands.describe(text="Anything", talk="A talk")
async def ping(interaction: discord.Interaction, text: str, talk: str | None = None) -> None:
    """Reply privately."""
    await interaction.response.send_message(f"pong {text} {talk or ''}".strip(), ephemeral=True)


@ping.autocomplete("talk")
async def talk_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice]:
    """Talks starting with what was typed."""
    return [app_commands.Choice(name=t, value=t) for t in TALKS if t.startswith(current)]


event = app_commands.Group(name="event", description="The meeting day")
registrations = app_commands.Group(name="registrations", description="Sign-ups", parent=event)


@registrations.command(name="open", description="Open registrations")
async def open_registrations(interaction: discord.Interaction, limit: int) -> None:
    """Reply publicly, in the user's locale."""
    await interaction.response.send_message(f"open {limit} ({interaction.locale.value})")


@app_commands.command(description="Think, then answer")
async def slow(interaction: discord.Interaction) -> None:
    """Defer with thinking, then follow up."""
    await interaction.response.defer(thinking=True)
    await interaction.followup.send("done")


@app_commands.command(description="Ask for feedback")
async def feedback(interaction: discord.Interaction) -> None:
    """Show the modal."""
    await interaction.response.send_modal(FeedbackModal())


@app_commands.command(description="Answer too late")
async def late(interaction: discord.Interaction) -> None:
    """Miss the deadline and record Discord's error code."""
    await asyncio.sleep(0.3)
    try:
        await interaction.response.send_message("too late")
    except discord.NotFound as exc:
        interaction.client.error_codes.append(exc.code)  # type: ignore[attr-defined]
        interaction.client.error_seen.set()  # type: ignore[attr-defined]


@app_commands.command(description="Answer, then edit")
async def edit(interaction: discord.Interaction) -> None:
    """Edit the original response."""
    await interaction.response.send_message("v1")
    await interaction.edit_original_response(content="v2")


@app_commands.command(description="Resolved options")
async def assign(
    interaction: discord.Interaction,
    member: discord.Member,
    role: discord.Role,
    channel: discord.TextChannel,
    share: float,
    public: bool,
) -> None:
    """Echo what discord.py resolved."""
    text = f"{member.display_name} {role.name} {channel.name} {share} {public}"
    await interaction.response.send_message(text, ephemeral=not public)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running, patched fake Discord."""
    async with fake_discord() as running:
        yield running


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[SmallBot]:
    """The small bot, logged in and ready."""
    small = SmallBot(fake.guild_id)
    await start_test_bot(small, fake)
    yield small
    await stop_test_bot(small)


@pytest.fixture
def alice(fake: FakeDiscord) -> FakeMember:
    """An organizer with open DMs."""
    return fake.add_member("alice", roles=["Organizer"])


async def test_login_reaches_ready_and_sees_the_guild(fake: FakeDiscord, bot: SmallBot) -> None:
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    names = {c.name for c in guild.text_channels}
    assert {"general", "announcements", "questions", "moderation"} <= names
    roles = {r.name for r in guild.roles}
    assert {"@everyone", "Organizer", "Moderator", "In person", "Remote"} <= roles
    assert guild.get_channel(fake.channel_id("announcements")) is not None
    assert bot.user is not None and str(bot.user.id) == fake.bot_user["id"]
    assert bot.application_id == fake.application_id
    assert fake.intents == bot.intents.value
    query = {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert fake.gateway.connect_queries == [query]
    assert fake.seen_tokens == [fake.token]
    assert fake.unhandled == []


async def test_commands_are_synced_with_ids(fake: FakeDiscord, bot: SmallBot) -> None:
    by_name = {c["name"]: c for c in fake.commands}
    assert set(by_name) == {"ping", "slow", "feedback", "late", "edit", "assign", "event"}
    assert fake.sync_count == 1
    assert all(c["id"] and c["guild_id"] == str(fake.guild_id) for c in fake.commands)
    talk = next(o for o in by_name["ping"]["options"] if o["name"] == "talk")
    assert talk["autocomplete"] is True
    group = by_name["event"]["options"][0]
    assert (group["name"], group["type"], group["options"][0]["type"]) == ("registrations", 2, 1)
    synced = await bot.tree.fetch_commands(guild=bot.guild)
    assert {c.name for c in synced} == set(by_name)


async def test_invoke_gets_an_ephemeral_reply(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    result = await fake.invoke("ping", {"text": "hi"}, user=alice)
    reply = await result.response()
    assert reply is not None and reply.content == "pong hi"
    assert result.response_type == 4 and result.ephemeral
    assert reply.allowed_mentions == {"parse": []}
    assert fake.messages("general") == [] and fake.messages("general", ephemeral=True) == [reply]


async def test_subcommand_group_locale_and_bad_names(
    fake: FakeDiscord, bot: SmallBot, alice
) -> None:
    result = await fake.invoke("event registrations open", {"limit": 30}, user=alice, locale="fr")
    message = await result.message()
    assert message.content == "open 30 (fr)" and not result.ephemeral
    assert fake.messages("general") == [message]
    with pytest.raises(LookupError, match="not synced"):
        await fake.invoke("nope", user=alice)
    with pytest.raises(LookupError, match="no option 'txt'"):
        await fake.invoke("ping", {"txt": "x"}, user=alice)
    with pytest.raises(LookupError, match="needs a subcommand"):
        await fake.invoke("event registrations", user=alice)


async def test_deferred_reply_is_filled_by_the_followup(fake: FakeDiscord, bot, alice) -> None:
    result = await fake.invoke("slow", user=alice)
    placeholder = await result.response()
    assert result.thinking and placeholder is not None
    message = await result.message()
    assert message is placeholder and message.content == "done" and not message.loading
    assert await result.wait_followups(1) == [message]


async def test_resolved_options(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    options = {
        "member": alice,
        "role": "Moderator",
        "channel": "questions",
        "share": 0.5,
        "public": True,
    }
    result = await fake.invoke("assign", options, user=alice, channel="moderation")
    message = await result.message()
    assert message.content == "alice Moderator questions 0.5 True"
    assert message.channel_id == fake.channel_id("moderation")
    resolved = result.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members", "roles", "channels"}
    assert not int(result.payload["member"]["permissions"]) & 8
    root = fake.add_member("root", administrator=True)
    as_admin = await fake.invoke("ping", {"text": "x"}, user=root)
    assert int(as_admin.payload["member"]["permissions"]) & 8


async def test_autocomplete_returns_choices(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    choices = await fake.autocomplete(
        "ping", {"text": "x", "talk": "bia"}, focused="talk", user=alice
    )
    assert [c["value"] for c in choices] == ["biau-wgans", "bianchi-flows"]


async def test_persistent_button_click(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    channel = bot.get_channel(fake.channel_id("announcements"))
    assert isinstance(channel, discord.TextChannel)
    await channel.send("Join us", view=JoinView())
    posted = fake.messages("announcements")[-1]
    assert posted.custom_ids() == ["amphi:join"] and posted.text() == "Join us"
    result = await fake.click(posted, "amphi:join", user=alice)
    reply = await result.response()
    assert reply is not None and reply.content == "joined alice" and result.ephemeral


async def test_select_update_and_deferred_update(fake: FakeDiscord, bot, alice) -> None:
    channel = bot.get_channel(fake.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    await channel.send("menu", view=PickView())
    (menu,) = fake.messages("general")
    assert menu.custom_ids() == ["amphi:refresh"] and menu.custom_ids(3) == ["amphi:pick"]
    picked = await fake.click(menu, "amphi:pick", user=alice, values=["dupont-mcmc"])
    assert await picked.message() is menu and picked.response_type == 7
    assert menu.content == "picked dupont-mcmc"
    refreshed = await fake.click(menu.id, "amphi:refresh", user=alice)
    assert await refreshed.message() is menu and refreshed.response_type == 6
    assert menu.content == "refreshed" and len(menu.edits) == 2
    with pytest.raises(LookupError, match="no 'amphi:nope'"):
        await fake.click(menu, "amphi:nope", user=alice)


async def test_modal_round_trip(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    shown = await fake.invoke("feedback", user=alice)
    assert await shown.response() is None
    assert shown.response_type == 9 and shown.modal is not None
    assert shown.modal["custom_id"] == "feedback"
    submitted = await fake.submit_modal("feedback", {"comment": "great day"}, user=alice)
    reply = await submitted.message()
    assert reply.content == "thanks: great day"


async def test_dms_open_and_closed(fake: FakeDiscord, bot: SmallBot) -> None:
    carol = fake.add_member("carol")
    bob = fake.add_member("bob", dms_open=False)
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    with pytest.raises(discord.Forbidden) as refused:
        await (await guild.fetch_member(bob.id)).send("hello")
    assert refused.value.code == 50007
    assert fake.dms(bob) == []
    await (await guild.fetch_member(carol.id)).send("reminder", view=JoinView())
    dm = await fake.wait_for_message(lambda m: m.content == "reminder")
    assert fake.dms(carol) == [dm]
    assert dm.content == "reminder" and dm.guild_id is None
    clicked = await fake.click(dm, "amphi:join", user=carol)
    reply = await clicked.response()
    assert reply is not None and reply.content == "joined carol"
    assert clicked.payload["context"] == 1 and "member" not in clicked.payload


async def test_file_attachment_arrives_with_its_bytes(fake: FakeDiscord, bot: SmallBot) -> None:
    channel = bot.get_channel(fake.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    data = b"name,room\nalice,A1\n"
    sent = await channel.send("export", file=discord.File(io.BytesIO(data), filename="list.csv"))
    (message,) = fake.messages("general")
    assert message.attachments == [("list.csv", data, "text/csv")]
    assert await sent.attachments[0].read() == data


async def test_threads_record_their_messages(fake: FakeDiscord, bot: SmallBot) -> None:
    channel = bot.get_channel(fake.channel_id("questions"))
    assert isinstance(channel, discord.TextChannel)
    thread = await channel.create_thread(name="talk-1", type=discord.ChannelType.public_thread)
    await thread.send("first question")
    assert fake.channel_id("talk-1") == thread.id and thread.parent_id == channel.id
    assert [m.content for m in fake.messages("talk-1")] == ["first question"]
    starter = await channel.send("Talk 2")
    from_message = await starter.create_thread(name="talk-2")
    assert from_message.id == starter.id and fake.channel_id("talk-2") == starter.id


async def test_members_intent_caches_members_and_role_updates(fake: FakeDiscord, alice) -> None:
    intents = discord.Intents.none()
    intents.guilds = intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.1)
    await start_test_bot(client, fake)
    try:
        guild = client.get_guild(fake.guild_id)
        assert guild is not None and guild.chunked
        member = guild.get_member(alice.id)
        assert member is not None
        updated = asyncio.ensure_future(client.wait_for("member_update", timeout=2))
        await member.add_roles(discord.Object(fake.role_id("Remote")))
        _, after = await updated
        assert "Remote" in [r.name for r in after.roles]
    finally:
        await stop_test_bot(client)


async def test_role_add_and_remove(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    member = await guild.fetch_member(alice.id)
    in_person, organizer = fake.role_id("In person"), fake.role_id("Organizer")
    await member.add_roles(discord.Object(in_person))
    assert alice.roles == [organizer, in_person]
    await member.remove_roles(discord.Object(organizer))
    assert alice.roles == [in_person]
    with pytest.raises(discord.NotFound) as unknown:
        await member.add_roles(discord.Object(12345))
    assert unknown.value.code == 10011


async def test_late_response_gets_unknown_interaction(fake: FakeDiscord, bot, alice) -> None:
    fake.interaction_deadline = 0.2
    result = await fake.invoke("late", user=alice)
    await fake.changes.wait_for(lambda: bool(result.rejected), 2, "the late response")
    assert result.rejected == [(404, 10062)] and not result.acknowledged
    await asyncio.wait_for(bot.error_seen.wait(), 2)
    assert bot.error_codes == [10062]


async def test_second_response_is_refused(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    result = await fake.invoke("ping", {"text": "once"}, user=alice)
    await result.response()
    assert fake.already_acknowledged == []
    url = f"{fake.rest_base}/interactions/{result.id}/{result.token}/callback"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"type": 4, "data": {"content": "twice"}}) as answer,
    ):
        assert answer.status == 400 and answer.headers["Content-Type"] == "application/json"
        assert (await answer.json())["code"] == 40060
    assert fake.already_acknowledged == [result.id]


async def test_edit_original_keeps_the_same_message(fake: FakeDiscord, bot, alice) -> None:
    result = await fake.invoke("edit", user=alice)
    message = await result.message()
    await fake.changes.wait_for(lambda: bool(message.edits), 2, "the edit")
    assert message.content == "v2" and message.edits[0]["content"] == "v2"
    assert message.versions[0]["content"] == "v1"
    assert fake.messages("general") == [message]


async def test_gateway_drop_resumes(fake: FakeDiscord, bot: SmallBot, alice) -> None:
    await fake.drop_gateway(code=4000)
    await fake.wait_until_connected()
    assert (fake.gateway.identify_count, fake.gateway.resume_count) == (1, 1)
    result = await fake.invoke("ping", {"text": "again"}, user=alice)
    reply = await result.response()
    assert reply is not None and reply.content == "pong again"


async def test_rate_limited_send_is_retried_once(fake: FakeDiscord, bot: SmallBot) -> None:
    channel = bot.get_channel(fake.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    body = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
    fake.fail_next("POST", r"^/channels/\d+/messages$", 429, body)
    await channel.send("only once")
    assert [m.content for m in fake.messages("general")] == ["only once"]
    posts = [r.status for r in fake.requests if r.method == "POST" and "/messages" in r.path]
    assert posts == [429, 200]


async def test_unknown_route_is_recorded(fake: FakeDiscord, bot: SmallBot) -> None:
    route = discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=fake.guild_id)
    with pytest.raises(discord.NotFound):
        await bot.http.request(route)
    assert [(u.method, u.path) for u in fake.unhandled] == [
        ("GET", f"/guilds/{fake.guild_id}/bans")
    ]


SUBPROCESS_BOT = """
import discord

client = discord.Client(intents=discord.Intents(guilds=True), guild_ready_timeout=0.1)

@client.event
async def on_ready():
    print(sorted(c.name for c in client.guilds[0].text_channels))
    await client.close()

client.run("fake-discord-bot-token", log_handler=None)
"""


async def test_subprocess_bot_uses_sitecustomize(fake: FakeDiscord) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SUBPROCESS_BOT,
        env=fake.subprocess_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "['announcements', 'general', 'moderation', 'questions']"


async def test_the_fake_refuses_what_discord_would() -> None:
    """Payloads over Discord's limits get a 400 (50035), as from Discord."""
    import aiohttp

    from fake_discord import FakeDiscord

    async with FakeDiscord() as fake:
        channel = fake.channel_id("general")
        url = f"{fake.rest_base}/channels/{channel}/messages"
        headers = {"Authorization": f"Bot {fake.token}"}
        cases = [
            {"content": "x" * 2001},
            {"embeds": [{"description": "x" * 4097}]},
            {"embeds": [{"title": "t", "description": "x" * 4000}, {"description": "y" * 2500}]},
            {
                "content": "ok",
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 1, "label": "x" * 81, "custom_id": "a"}
                        ],
                    }
                ],
            },
        ]
        async with aiohttp.ClientSession() as http:
            for payload in cases:
                async with http.post(url, json=payload, headers=headers) as response:
                    assert response.status == 400
                    assert (await response.json())["code"] == 50035
            async with http.post(url, json={"content": "x" * 2000}, headers=headers) as response:
                assert response.status == 200
        assert len(fake.messages("general")) == 1


async def test_the_fake_can_enforce_the_global_rate_limit() -> None:
    import aiohttp

    from fake_discord import FakeDiscord

    async with FakeDiscord() as fake:
        fake.traffic.global_limit = 5
        url = f"{fake.rest_base}/channels/{fake.channel_id('general')}/messages"
        headers = {"Authorization": f"Bot {fake.token}"}
        async with aiohttp.ClientSession() as http:
            statuses = []
            for i in range(8):
                async with http.post(url, json={"content": str(i)}, headers=headers) as response:
                    statuses.append(response.status)
                    if response.status == 429:
                        body = await response.json()
                        assert body["global"] is True and body["retry_after"] > 0
                        assert response.headers["Via"]
        assert statuses == [200] * 5 + [429] * 3
        assert fake.traffic.global_429s == 3


async def test_a_network_delay_keeps_the_gateway_in_order_and_the_bot_working() -> None:
    """With a round trip added (benchmarks), every frame still arrives, in order."""
    latency = Latency(median_ms=30, sigma=0.8, seed=7)
    assert latency.percentile_ms(0.5) == pytest.approx(30, rel=1e-3)
    assert latency.percentile_ms(0.99) > latency.percentile_ms(0.9) > 30
    async with fake_discord(latency=latency) as fake:
        small = SmallBot(fake.guild_id)
        await start_test_bot(small, fake)
        try:
            alice = fake.add_member("alice")
            results = [await fake.invoke("ping", {"text": str(i)}, user=alice) for i in range(20)]
            replies = [await r.message(timeout=10) for r in results]
            assert [r.content for r in replies] == [f"pong {i}" for i in range(20)]
            assert all(r.acknowledged_at > r.created for r in results)
        finally:
            await stop_test_bot(small)
