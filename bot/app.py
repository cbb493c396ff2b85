"""The composition root: settings → services → bot with its cogs, built once and wired here.

The only module of `bot` that imports the cogs.
"""

from __future__ import annotations

from bot.client import AmphiBot
from bot.services import Services
from cogs.announcements import AnnouncementCog
from cogs.changes import ChangesCog
from cogs.dm import DirectMessages
from cogs.events import EventsCog
from cogs.posts import ReminderCog
from cogs.programme import ProgrammeCog
from cogs.questions.cog import QuestionsCog
from cogs.registration.cog import RegistrationCog


def create_bot(services: Services, **client_options) -> AmphiBot:
    """The bot with its cogs, each handed the services it needs."""
    bot = AmphiBot(services, **client_options)
    dms = DirectMessages(bot, services.dm_channels)
    events = EventsCog(bot, services.settings, services.events, services.posts)
    # An edited programme reaches the Events tab at once, not at the next periodic pass.
    services.follower.subscribe(events.sync)
    bot.initial_cogs = [
        ProgrammeCog(services.settings, services.programme, services.events, services.follower),
        RegistrationCog(bot, services.settings, services.registration, services.commands, dms),
        ReminderCog(
            bot,
            services.settings,
            services.programme,
            services.registration,
            services.posts,
            services.broadcaster,
            dms,
            services.events,
        ),
        AnnouncementCog(bot, services.settings, services.announcements, services.broadcaster, dms),
        QuestionsCog(
            bot,
            services.settings,
            services.questions,
            services.commands,
            services.broadcaster,
            dms,
            services.posts,
        ),
        events,
        ChangesCog(
            bot,
            services.settings,
            services.follower,
            services.notices,
            services.posts,
            services.registration,
            services.broadcaster,
            dms,
        ),
    ]
    return bot


async def run_bot(services: Services, **client_options) -> None:
    """Connect and serve until stopped."""
    token = services.settings.discord_token
    assert token is not None
    async with create_bot(services, **client_options) as bot:
        await bot.start(token.reveal())
