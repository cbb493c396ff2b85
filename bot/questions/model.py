"""Audience questions' domain: statuses, limits, the Q&A window, cleaning, and the refusals."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.errors import N_, AmphiError
from bot.core.markup import escape, mention, timestamp
from bot.programme.model import DayPhase, Meeting, Talk, now_and_next

QUESTION_LIMIT = 500
RATE_LIMIT_COUNT = 3
RATE_LIMIT_WINDOW = timedelta(minutes=5)
#: Across all the talks of a meeting: enough for a keen listener, not for a flood.
MEMBER_LIMIT_COUNT = 8
MEMBER_LIMIT_WINDOW = timedelta(minutes=30)
CLOSES_AFTER_TALK = timedelta(minutes=30)
#: An approved question not public this long after its approval failed to publish (its run
#: was interrupted): a moderator's next Approve publishes it.
PUBLICATION_TIMEOUT = timedelta(minutes=1)

# Zero-width and bidirectional controls are all format characters (Cf); the joiner stays
# between two emoji, where it builds one emoji (👩‍🔬) rather than hiding anything.
_ZERO_WIDTH_JOINER = "\u200d"


class QuestionStatus(StrEnum):
    """Where a question stands in moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class QaState(StrEnum):
    """Whether a talk takes questions: by its window (auto), or as moderators decided."""

    AUTO = "auto"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Question:
    """One question as the commands, buttons and renderers see it."""

    id: int
    talk_id: int  # the store's: a question stays with its talk's meeting
    meeting_slug: str
    talk_key: str
    talk_title: str
    author_id: int
    author_name: str
    anonymous: bool
    text: str
    status: QuestionStatus
    created_at: datetime
    votes: int = 0
    locale: str = ""
    decided_by: int | None = None
    decided_at: datetime | None = None
    answered_at: datetime | None = None
    moderation_channel_id: int | None = None
    moderation_message_id: int | None = None
    public_channel_id: int | None = None
    public_message_id: int | None = None
    publication_failed_at: datetime | None = None

    @property
    def answered(self) -> bool:
        """Whether a chair has taken it with /qa next."""
        return self.answered_at is not None


def publication_failed(question: Question, now: datetime) -> bool:
    """Approved but not public because publishing it failed, not merely because it is under
    way: a failure was recorded, or the approval is older than PUBLICATION_TIMEOUT. A moderator's
    Approve on such a question publishes it (the catch-up pass publishes every approved
    question that is not public)."""
    if question.status is not QuestionStatus.APPROVED or question.public_message_id is not None:
        return False
    if question.publication_failed_at is not None:
        return True
    decided = question.decided_at
    return decided is not None and now - decided > PUBLICATION_TIMEOUT


@dataclass(frozen=True)
class Publication:
    """An approved question to post, with what its post needs: its talk (None once the talk
    left the programme) and the talk's Q&A thread, when it has one."""

    question: Question
    talk: Talk | None
    thread_id: int | None


@dataclass(frozen=True)
class VoteOutcome:
    """The result of an Upvote click: whether the member's vote now counts, and the total."""

    question_id: int
    voted: bool
    votes: int


@dataclass(frozen=True)
class QaWindow:
    """When a talk takes questions by itself, and the moderators' override."""

    opens_at: datetime
    closes_at: datetime
    state: QaState = QaState.AUTO

    def is_open(self, now: datetime) -> bool:
        """Whether questions are taken at `now`."""
        if self.state is QaState.OPEN:
            return True
        if self.state is QaState.CLOSED:
            return False
        return self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class NextQuestion:
    """What /qa next gives the chair: the question (None when none is left) and how many wait."""

    talk: Talk
    question: Question | None
    remaining: int


def qa_window(meeting: Meeting, talk: Talk, state: QaState = QaState.AUTO) -> QaWindow:
    """From the talk's session start until 30 minutes after the talk ends."""
    session = meeting.session_of(talk)
    return QaWindow(opens_at=session.start, closes_at=talk.end + CLOSES_AFTER_TALK, state=state)


def default_talk(meeting: Meeting, now: datetime) -> Talk:
    """The talk on now, else the next one in the same session; NoTalkNow otherwise."""
    state = now_and_next(meeting, now)
    if state.current is not None:
        return state.current
    if state.phase is DayPhase.IN_SESSION and state.next is not None:
        session = next(s for s in meeting.sessions if s.start <= now < s.end)
        if any(t.key == state.next.key for t in session.talks):
            return state.next
    raise NoTalkNow()


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def clean_question(text: str) -> str:
    """Trimmed, without control, zero-width or bidi-override characters; otherwise as typed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    kept: list[str] = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch == "\n":
            kept.append(ch)
        elif ch == _ZERO_WIDTH_JOINER:
            before = kept[-1] if kept else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if before and after and _is_emoji(before) and _is_emoji(after):
                kept.append(ch)
        elif category in {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}:
            continue
        else:
            kept.append(ch)
    return "".join(kept).strip()


def check_question(text: str) -> str:
    """The question as stored, or EmptyQuestion / QuestionTooLong."""
    cleaned = clean_question(text)
    if not cleaned:
        raise EmptyQuestion()
    if len(cleaned) > QUESTION_LIMIT:
        raise QuestionTooLong(len(cleaned))
    return cleaned


def _when(instant: datetime) -> dict[str, str]:
    return {"time": timestamp(instant, "t"), "relative": timestamp(instant, "R")}


class EmptyQuestion(AmphiError):
    """Nothing left once the question is trimmed."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Your question is empty. Type it in the question option of /ask "
                "(1 to 500 characters)."
            )
        )


class QuestionTooLong(AmphiError):
    """Over 500 characters."""

    def __init__(self, length: int) -> None:
        super().__init__(
            N_(
                "Your question is {length} characters long; please shorten it to {limit} "
                "characters at most (or split it in two) and ask again with /ask."
            ),
            length=length,
            limit=QUESTION_LIMIT,
        )


class TooManyQuestions(AmphiError):
    """More than 3 questions about one talk in 5 minutes."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(
            N_(
                "You have asked {count} questions about this talk in the last {minutes} minutes. "
                "You can ask again at {time} ({relative}); meanwhile, upvote the questions "
                "others asked (see /questions)."
            ),
            count=RATE_LIMIT_COUNT,
            minutes=int(RATE_LIMIT_WINDOW.total_seconds() // 60),
            **_when(retry_at),
        )


class TooManyQuestionsOverall(AmphiError):
    """More than 8 questions in 30 minutes, whatever the talks."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(
            N_(
                "You have asked {count} questions in the last {minutes} minutes, the most one "
                "member can. You can ask again at {time} ({relative}); meanwhile, upvote the "
                "questions others asked (see /questions)."
            ),
            count=MEMBER_LIMIT_COUNT,
            minutes=int(MEMBER_LIMIT_WINDOW.total_seconds() // 60),
            **_when(retry_at),
        )


class QuestionsNotOpenYet(AmphiError):
    """The talk's session has not started."""

    def __init__(self, title: str, opens_at: datetime) -> None:
        super().__init__(
            N_(
                "Questions for “{title}” open when its session starts, at {time} ({relative}). "
                "Please ask again then."
            ),
            title=escape(title),
            **_when(opens_at),
        )


class QuestionsClosed(AmphiError):
    """Past the window, or closed by the moderators."""

    def __init__(self, title: str, closed_at: datetime, *, by_moderators: bool) -> None:
        if by_moderators:
            super().__init__(
                N_(
                    "The moderators have closed questions for “{title}”. Pick another talk in "
                    "the talk option, or ask a moderator to reopen them."
                ),
                title=escape(title),
            )
        else:
            super().__init__(
                N_(
                    "Questions for “{title}” closed at {time} ({relative}), 30 minutes after "
                    "the talk. Pick a talk that is on now in the talk option."
                ),
                title=escape(title),
                **_when(closed_at),
            )


class NoTalkNow(AmphiError):
    """No talk is on now and none follows in this session."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "No talk is on right now. Please pick the talk you mean in the talk option "
                "(start typing its title or a speaker's name)."
            )
        )


class AlreadyDecided(AmphiError):
    """Another moderator was first."""

    def __init__(self, status: QuestionStatus, by: int | None, at: datetime | None) -> None:
        values = {"moderator": mention(by) if by else "?"}
        values["relative"] = timestamp(at, "R") if at else ""
        if status is QuestionStatus.APPROVED:
            super().__init__(
                N_("This question was already approved by {moderator} {relative}. Nothing to do."),
                **values,
            )
        else:
            super().__init__(
                N_("This question was already rejected by {moderator} {relative}. Nothing to do."),
                **values,
            )


class QuestionNotFound(AmphiError):
    """The question is gone (its talk left the programme)."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This question no longer exists; its talk may have been removed from the "
                "programme. Nothing to do."
            )
        )


class NotVotable(AmphiError):
    """An upvote on a question that is not approved."""

    def __init__(self) -> None:
        super().__init__(N_("Only approved questions can be upvoted. See /questions for them."))


class QuestionsUnavailable(AmphiError):
    """The moderation channel is missing, so questions cannot be moderated."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Questions cannot reach the moderators right now (their channel is missing). "
                "Please tell an organizer; your question was not kept."
            )
        )


class SpeakerNeeded(AmphiError):
    """`/speaker link` on a talk with several speakers, without saying which."""

    def __init__(self, title: str, names: list[str]) -> None:
        super().__init__(
            N_("“{title}” has several speakers ({names}). Pick one in the speaker option."),
            title=escape(title),
            names=", ".join(escape(n) for n in names),
        )


class UnknownSpeaker(AmphiError):
    """The speaker option names none of the talk's speakers."""

    def __init__(self, query: str, title: str, names: list[str]) -> None:
        super().__init__(
            N_("“{title}” has no speaker called “{query}”. Pick one of: {names}."),
            query=escape(query),
            title=escape(title),
            names=", ".join(escape(n) for n in names) or "—",
        )


class QuestionNotPosted(AmphiError):
    """Approved, but the Q&A channel is missing."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "The question is approved, but it could not be posted: the Q&A channel is "
                "missing. Please ask an organizer to check the QA_CHANNEL setting."
            )
        )
