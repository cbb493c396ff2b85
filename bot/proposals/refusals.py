"""The call for contributions' refusals: each says what went wrong and what to do instead."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.errors import N_, AmphiError
from bot.core.markup import escape, timestamp

#: The longest title a proposal may have (Discord's form allows it).
TITLE_MAX_CHARS = 200


class NoCall(AmphiError):
    """The active meeting has no call for contributions."""

    def __init__(self) -> None:
        super().__init__(
            N_("This meeting has no call for contributions. Ask an organizer if you have an idea.")
        )


class CallNotOpen(AmphiError):
    """The call opens later."""

    def __init__(self, opens: datetime) -> None:
        super().__init__(
            N_("The call for contributions opens {when}. Come back then with your proposal."),
            when=f"{timestamp(opens, 'f')} ({timestamp(opens, 'R')})",
        )


class CallClosed(AmphiError):
    """The call has closed."""

    def __init__(self, closed_at: datetime) -> None:
        super().__init__(
            N_(
                "The call for contributions closed {when}. For anything urgent, write to "
                "the organizers."
            ),
            when=timestamp(closed_at, "f"),
        )


class TooManyProposals(AmphiError):
    """The member reached the call's limit per member."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            N_(
                "You already have {limit} proposals, the most this call takes from one member. "
                "Withdraw one in /my-proposals to make another."
            ),
            limit=limit,
        )


class AbstractTooLong(AmphiError):
    """The abstract is longer than the call allows."""

    def __init__(self, limit: int, length: int) -> None:
        super().__init__(
            N_(
                "Your abstract has {length} characters; this call takes {limit} at most. "
                "Shorten it and send it again."
            ),
            limit=limit,
            length=length,
        )


class TitleTooLong(AmphiError):
    """The title is longer than a title should be."""

    def __init__(self, length: int) -> None:
        super().__init__(
            N_(
                "Your title has {length} characters; {limit} at most. Shorten it and send it again."
            ),
            limit=TITLE_MAX_CHARS,
            length=length,
        )


class MissingField(AmphiError):
    """The title, the abstract or the authors are empty."""

    def __init__(self, field: str) -> None:
        messages = {
            "title": N_("Your proposal needs a title."),
            "abstract": N_("Your proposal needs an abstract."),
            "authors": N_(
                "Your proposal needs its authors, one per line, such as "
                "“Ada Lovelace (University of London)”."
            ),
        }
        super().__init__(messages[field])


class FieldTooLong(AmphiError):
    """The authors or the note are longer than the form allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            N_("The authors and the note take {limit} characters at most each. Shorten them."),
            limit=limit,
        )


class UnknownKind(AmphiError):
    """A kind the call does not take."""

    def __init__(self, kinds: Iterable[str]) -> None:
        super().__init__(
            N_("This call takes these kinds of contribution: {kinds}. Pick one of them."),
            kinds=", ".join(escape(k) for k in kinds),
        )


class NotYourProposal(AmphiError):
    """Someone else's proposal."""

    def __init__(self) -> None:
        super().__init__(N_("Only its proposer can change this proposal."))


class UnknownProposal(AmphiError):
    """No proposal has this reference (or id)."""

    def __init__(self, reference: str) -> None:
        super().__init__(
            N_("No proposal “{reference}” is known. Run /my-proposals to see yours."),
            reference=escape(reference[:20]),
        )


class BadScore(AmphiError):
    """A score outside 1–5."""

    def __init__(self) -> None:
        super().__init__(N_("A score is a whole number from 1 to 5."))


class NotAccepted(AmphiError):
    """Confirming a proposal that is not accepted."""

    def __init__(self) -> None:
        super().__init__(N_("Only an accepted proposal can be confirmed or withdrawn this way."))


class AlreadyDecided(AmphiError):
    """Editing or withdrawing a proposal the organizers have decided on."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "The organizers have decided on this proposal: it can no longer be changed. "
                "Write to them if something is wrong."
            )
        )


class ProposalWithdrawn(AmphiError):
    """Acting on a proposal its proposer withdrew."""

    def __init__(self) -> None:
        super().__init__(N_("This proposal was withdrawn by its proposer."))
