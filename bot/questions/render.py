"""Pure rendering of questions: the moderation card, the public post, DMs, the digest, lists.

Relayed text is escaped (markdown, mentions, timestamps) and sent as message content with
mentions disabled and link previews suppressed; every message fits Discord's 2,000 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import Translator
from bot.core.markup import (
    MESSAGE_LIMIT,
    TITLE_LIMIT,
    Card,
    escape,
    mention,
    split_card,
    timestamp,
    truncate,
)
from bot.programme.model import Person, Talk
from bot.questions.model import (
    NextQuestion,
    QaState,
    QaWindow,
    Question,
    QuestionStatus,
    VoteOutcome,
)

THREAD_NAME_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
TITLE_SHOWN = 100  # a talk title quoted inside a message


def relay(text: str) -> str:
    """A user's text shown literally: no markdown, no mention, no mass ping even if pasted."""
    escaped = escape(text)
    # Mentions are disabled on every message anyway; this keeps @everyone from even looking live.
    return escaped.replace("@everyone", "@\u200beveryone").replace("@here", "@\u200bhere")


def quoted(text: str) -> str:
    """A user's text as a block quote."""
    return "\n".join(f"> {line}" for line in relay(text).split("\n"))


def talk_title(title: str) -> str:
    """A talk title quoted in a message."""
    return escape(truncate(title, TITLE_SHOWN))


def discord_length(text: str) -> int:
    """Length in UTF-16 code units: never less than Discord's count, however it counts."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Within Discord's 2,000 characters per message (a guard: the limits keep texts shorter)."""
    if discord_length(text) <= limit:
        return text
    while discord_length(text) > limit - 1:
        text = text[: len(text) - max((discord_length(text) - limit + 1) // 2, 1)]
    return text + "…"


def author_label(question: Question, tr: Translator) -> str:
    """Who asked, as the public sees it."""
    if question.anonymous:
        return tr.gettext("Anonymous")
    return escape(question.author_name)


def votes_label(count: int, tr: Translator) -> str:
    """'3 votes'."""
    return tr.ngettext("{count} vote", "{count} votes", count)


def approve_label(tr: Translator) -> str:
    """The Approve button."""
    return tr.gettext("Approve")


def reject_label(tr: Translator) -> str:
    """The Reject button."""
    return tr.gettext("Reject")


def upvote_label(count: int, tr: Translator) -> str:
    """The Upvote button, with the count."""
    return truncate(tr.gettext("Upvote · {count}", count=count), BUTTON_LABEL_LIMIT)


def vote_ack(outcome: VoteOutcome, tr: Translator) -> str:
    """The member's own answer to an Upvote click: where their vote stands, and the count."""
    if outcome.voted:
        return tr.ngettext(
            "Your upvote counts: {count} vote.",
            "Your upvote counts: {count} votes.",
            outcome.votes,
        )
    return tr.ngettext(
        "Your upvote is withdrawn: {count} vote.",
        "Your upvote is withdrawn: {count} votes.",
        outcome.votes,
    )


def moderation_text(question: Question, tr: Translator) -> str:
    """The moderators' card: who asked (even when anonymous), the talk, the text, the decision."""
    head = tr.gettext(
        "❓ **New question** #{id} about “{title}”",
        id=question.id,
        title=talk_title(question.talk_title),
    )
    who = f"{mention(question.author_id)} ({escape(question.author_name)})"
    if question.anonymous:
        author = tr.gettext(
            "From {author} · asked anonymously: the name will not be shown publicly", author=who
        )
    else:
        author = tr.gettext("From {author}", author=who)
    lines = [head, author, quoted(question.text)]
    if question.decided_at is not None and question.status is not QuestionStatus.PENDING:
        values = {
            "moderator": mention(question.decided_by) if question.decided_by else "?",
            "relative": timestamp(question.decided_at, "R"),
        }
        if question.status is QuestionStatus.APPROVED:
            lines.append(tr.gettext("✅ Approved by {moderator} {relative}", **values))
        else:
            lines.append(tr.gettext("❌ Rejected by {moderator} {relative}", **values))
    return fit("\n".join(lines))


def public_text(question: Question, tr: Translator, *, with_talk: bool = False) -> str:
    """The approved question as everyone sees it (with the talk when not in its thread)."""
    if with_talk:
        head = tr.gettext(
            "**{author}** asks about “{title}”:",
            author=author_label(question, tr),
            title=talk_title(question.talk_title),
        )
    else:
        head = tr.gettext("**{author}** asks:", author=author_label(question, tr))
    lines = [head, quoted(question.text)]
    if question.answered:
        lines.append(tr.gettext("✅ Taken by the chair"))
    return fit("\n".join(lines))


def thread_name(talk: Talk) -> str:
    """The talk's Q&A thread: its title, within Discord's 100 characters."""
    return truncate(talk.title, THREAD_NAME_LIMIT)


def thread_intro(talk: Talk, tr: Translator) -> str:
    """The first message of a talk's thread."""
    return fit(
        tr.gettext(
            "Questions for “{title}” ({speakers}). Ask yours with /ask; once a moderator "
            "approves it, it appears here. Upvote the ones you want answered.",
            title=talk_title(talk.title),
            speakers=escape(talk.speaker_names) or "—",
        )
    )


def ask_ack(question: Question, tr: Translator) -> str:
    """The ephemeral reply to /ask."""
    lines = [
        tr.gettext(
            "Thank you! Your question about “{title}” is waiting for a moderator; you will get "
            "a DM when it is approved.",
            title=talk_title(question.talk_title),
        ),
        quoted(question.text),
    ]
    if question.anonymous:
        lines.append(tr.gettext("It will be shown without your name (moderators see it)."))
    return fit("\n".join(lines))


def approved_dm(question: Question, link: str, tr: Translator) -> str:
    """Told to the asker when their question is approved."""
    lines = [
        tr.gettext(
            "Your question about “{title}” was approved: {link}",
            title=talk_title(question.talk_title),
            link=link,
        ),
        quoted(question.text),
    ]
    return fit("\n".join(lines))


def speaker_dm(question: Question, tr: Translator) -> str:
    """An approved question for the speaker of the talk."""
    lines = [
        tr.gettext(
            "New question for your talk “{title}”, from {author}:",
            title=talk_title(question.talk_title),
            author=author_label(question, tr),
        ),
        quoted(question.text),
    ]
    return fit("\n".join(lines))


def _block(index: int, question: Question, tr: Translator) -> str:
    head = f"**{index}.** {votes_label(question.votes, tr)} · {author_label(question, tr)}"
    if question.answered:
        head += " · " + tr.gettext("✅ taken by the chair")
    return f"{head}\n{quoted(question.text)}"


@dataclass(frozen=True)
class Digest:
    """The end-of-talk digest for a speaker: one DM, with every question in a file when they
    do not all fit in it."""

    text: str
    file_name: str | None = None
    file_text: str = ""


def digest(talk: Talk, questions: list[Question], tr: Translator) -> Digest:
    """The unanswered questions, most votes first, in one DM of at most 2,000 characters."""
    head = tr.ngettext(
        "The question left unanswered after your talk “{title}”:",
        "The {count} questions left unanswered after your talk “{title}”, most votes first:",
        len(questions),
        title=talk_title(talk.title),
    )
    blocks = [_block(i, q, tr) for i, q in enumerate(questions, start=1)]
    whole = "\n".join([head, *blocks])
    if discord_length(whole) <= MESSAGE_LIMIT:
        return Digest(whole)
    # The shown questions leave room for the line that points to the file.
    room = MESSAGE_LIMIT - 200
    shown = [head]
    for block in blocks:
        if discord_length("\n".join([*shown, block])) > room:
            break
        shown.append(block)
    rest = len(blocks) - (len(shown) - 1)
    shown.append(
        tr.ngettext(
            "…and {count} more: all {total} are in the attached file.",
            "…and {count} more: all {total} are in the attached file.",
            rest,
            total=len(questions),
        )
    )
    return Digest("\n".join(shown), f"questions-{talk.key}.md", whole + "\n")


#: Questions shown by one /questions reply (or one press of More): a message or two.
QUESTIONS_PER_PAGE = 8


def question_list(
    talk: Talk,
    questions: list[Question],
    tr: Translator,
    *,
    guild_id: int | None = None,
    offset: int = 0,
) -> list[Card]:
    """One page of the /questions reply: approved questions from `offset`, most votes first,
    answered ones marked; the footer says which and how many there are."""
    card = Card(
        title=truncate(tr.gettext("Questions for “{title}”", title=talk.title), TITLE_LIMIT)
    )
    if not questions:
        card.description = tr.gettext(
            "No approved question yet. Ask one with /ask; moderators approve them before they "
            "are shown."
        )
        return [card]
    page = questions[offset : offset + QUESTIONS_PER_PAGE]
    blocks = []
    for index, question in enumerate(page, start=offset + 1):
        block = _block(index, question, tr)
        if guild_id and question.public_channel_id and question.public_message_id:
            link = (
                f"https://discord.com/channels/{guild_id}/"
                f"{question.public_channel_id}/{question.public_message_id}"
            )
            block += "\n" + tr.gettext("[Upvote it here]({link})", link=link)
        blocks.append(block)
    cards = split_card(card, blocks)
    if len(page) == len(questions):
        cards[-1].footer = tr.ngettext(
            "{count} approved question", "{count} approved questions", len(questions)
        )
    else:
        cards[-1].footer = tr.gettext(
            "Questions {first}–{last} of {count}",
            first=offset + 1,
            last=offset + len(page),
            count=len(questions),
        )
    return cards


def more_label(tr: Translator) -> str:
    """The button that shows the next page of /questions."""
    return tr.gettext("More")


def next_question_text(result: NextQuestion, tr: Translator) -> str:
    """The chair's /qa next reply."""
    title = talk_title(result.talk.title)
    question = result.question
    if question is None:
        return tr.gettext(
            "No unanswered approved question is left for “{title}”. New ones appear as "
            "moderators approve them.",
            title=title,
        )
    lines = [
        tr.gettext(
            "Next question for “{title}” ({votes}, from {author}):",
            title=title,
            votes=votes_label(question.votes, tr),
            author=author_label(question, tr),
        ),
        quoted(question.text),
    ]
    if result.remaining:
        lines.append(
            tr.ngettext(
                "{count} more question waits.", "{count} more questions wait.", result.remaining
            )
        )
    else:
        lines.append(tr.gettext("It was the last one for now."))
    return fit("\n".join(lines))


def qa_state_text(talk: Talk, window: QaWindow, tr: Translator) -> str:
    """The reply to /qa open and /qa close."""
    title = talk_title(talk.title)
    if window.state is QaState.OPEN:
        return tr.gettext(
            "Questions for “{title}” are open until a moderator closes them.", title=title
        )
    return tr.gettext(
        "Questions for “{title}” are closed until a moderator opens them.", title=title
    )


def speaker_linked_text(talk: Talk, person: Person, user_id: int, tr: Translator) -> str:
    """The reply to /speaker link."""
    return tr.gettext(
        "<@{user}> is now linked as {speaker}, speaker of “{title}”: they will get its "
        "approved questions by DM, and the digest after the talk.",
        user=user_id,
        speaker=escape(person.name),
        title=talk_title(talk.title),
    )
