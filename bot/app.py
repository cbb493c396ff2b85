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
from cogs.posts import PostsCog
from cogs.programme import ProgrammeCog
from cogs.proposals.cog import ProposalsCog
from cogs.questions.cog import QuestionsCog
from cogs.registration.cog import RegistrationCog
from cogs.web import WebCog


def create_bot(services: Services, **client_options) -> AmphiBot:
    """The bot with its cogs, each handed by name the services it needs."""
    bot = AmphiBot(services, **client_options)
    settings = services.settings
    dms = DirectMessages(bot, services.dm_channels)
    events = EventsCog(bot, settings=settings, service=services.events, posts=services.posts)
    changes = ChangesCog(
        bot,
        settings=settings,
        programme=services.programme,
        follower=services.follower,
        notices=services.notices,
        posts=services.posts,
        registration=services.registration,
        broadcaster=services.broadcaster,
        dms=dms,
    )
    # An edited programme reaches the Events tab at once, not at the next periodic pass.
    services.follower.subscribe(events.programme_changed)
    bot.initial_cogs = [
        ProgrammeCog(
            settings=settings,
            programme=services.programme,
            events=services.events,
            refresh=changes.refresh_programme,
            show_changes=changes.show_preview,
        ),
        RegistrationCog(
            bot,
            settings=settings,
            service=services.registration,
            kept=services.kept,
            dms=dms,
            interested=events.interested,
        ),
        PostsCog(
            bot,
            settings=settings,
            programme=services.programme,
            registration=services.registration,
            posts=services.posts,
            broadcaster=services.broadcaster,
            dms=dms,
            events=services.events,
        ),
        AnnouncementCog(
            bot,
            settings=settings,
            service=services.announcements,
            broadcaster=services.broadcaster,
            dms=dms,
        ),
        QuestionsCog(
            bot,
            settings=settings,
            service=services.questions,
            kept=services.kept,
            broadcaster=services.broadcaster,
            dms=dms,
            posts=services.posts,
        ),
        ProposalsCog(
            bot,
            settings=settings,
            service=services.proposals,
            kept=services.kept,
            broadcaster=services.broadcaster,
            dms=dms,
            posts=services.posts,
        ),
        events,
        changes,
        WebCog(programme=services.programme, web=services.web),
    ]
    return bot


async def run_bot(services: Services, **client_options) -> None:
    """Connect and serve until stopped."""
    token = services.settings.discord_token
    assert token is not None
    async with create_bot(services, **client_options) as bot:
        await bot.start(token.reveal())
