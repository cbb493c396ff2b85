"""Refusals a user may see: each carries an English message id, translated for its reader."""

from __future__ import annotations

from bot.core.i18n import Translator
from bot.core.markup import escape


def N_(message: str) -> str:
    """Mark `message` for the catalogues without translating it yet."""
    return message


class AmphiError(Exception):
    """A polite refusal: what went wrong and what to do instead."""

    def __init__(self, message: str, /, **values: object) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message = message
        self.values = values

    def user_message(self, tr: Translator) -> str:
        """The refusal in the reader's language."""
        return tr.gettext(self.message, **self.values)


class NoMeeting(AmphiError):
    """No meeting is loaded."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "No meeting is loaded yet. Ask an organizer to add a meeting file and "
                "restart Amphi."
            )
        )


class UnknownMeeting(AmphiError):
    """A meeting option matched no loaded meeting."""

    def __init__(self, slug: str) -> None:
        super().__init__(
            N_("No meeting “{slug}” is loaded. Pick one of the suggestions."),
            slug=escape(slug[:100]),
        )


class UnknownTalk(AmphiError):
    """A talk option matched nothing."""

    def __init__(self, query: str) -> None:
        super().__init__(
            N_(
                "No talk matches “{query}”. Start typing a title or a speaker's name and pick "
                "one of the suggestions, or run /programme to see every talk."
            ),
            query=escape(query[:100]),
        )


class NotAllowed(AmphiError):
    """A privileged command or button used by someone without the role."""

    def __init__(self, *, organizers_only: bool) -> None:
        if organizers_only:
            super().__init__(
                N_(
                    "Only organizers can do this. If you are one, ask a server administrator "
                    "for the organizer role."
                )
            )
        else:
            super().__init__(
                N_(
                    "Only moderators and organizers can do this. If you are one, ask an "
                    "organizer for the moderator role."
                )
            )


class StoreUnavailable(Exception):
    """The database could not be reached, or was busy past its timeout: the transaction rolled
    back, and trying again later may succeed. The store raises it, from the driver's error."""


class Deposed(StoreUnavailable):
    """This instance no longer holds the lease: another took over, and the store refuses the
    writes of the last holder. Its transaction rolled back; the new active finishes the work."""


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached (its transaction rolled back)."""
    return isinstance(error, StoreUnavailable)
