"""What the simulated members type, in the rehearsal's language: their questions, the
organizer's announcement, and a command with its options as their Discord client shows it."""

from __future__ import annotations

from typing import Any

from bot.core.i18n import Translator
from fake_discord.state import FakeMember

QUESTIONS = {
    "en": (
        "How does this result depend on the width of the network?",
        "Could you say more about the assumptions on the data distribution?",
        "Is the bound tight in practice, or only up to constants?",
        "How would the approach scale to ImageNet-sized problems?",
        "What changes if the activation is not ReLU?",
        "Is there a link with the neural tangent kernel regime?",
        "Do you have code available for the experiments?",
        "How sensitive is this to the choice of step size?",
    ),
    "fr": (
        "Comment ce résultat dépend-il de la largeur du réseau ?",
        "Pouvez-vous préciser les hypothèses sur la distribution des données ?",
        "La borne est-elle atteinte en pratique, ou seulement à constante près ?",
        "Comment l'approche passe-t-elle à l'échelle d'ImageNet ?",
        "Que se passe-t-il si l'activation n'est pas ReLU ?",
        "Y a-t-il un lien avec le régime du noyau tangent neuronal ?",
        "Le code des expériences est-il disponible ?",
        "Quelle est la sensibilité au choix du pas ?",
    ),
}
ANNOUNCEMENT = {
    "en": "Welcome! Coffee and badges are in the hall before the first session. Remote "
    "attendees: the video link comes with each session's reminder.",
    "fr": "Bienvenue ! Café et badges dans le hall avant la première session. À distance : le "
    "lien vidéo arrive avec le rappel de chaque session.",
}


def typed(command: str, options: dict[str, Any] | None, tr: Translator) -> str:
    """A command as a member types it, by the names their Discord client shows:
    `/inscription mode:in_person mp:True` in French."""

    def named(name: str) -> str:
        return tr.lookup(name) or name

    words = " ".join(named(word) for word in command.split())
    return f"/{words}{shown_options({named(k): v for k, v in (options or {}).items()})}"


def shown_options(options: dict[str, Any] | None) -> str:
    """Options as a member types them: ` mode:in_person dm:True`."""
    shown = []
    for name, value in (options or {}).items():
        if isinstance(value, FakeMember):
            value = "@" + (value.nick or value.name)
        text = str(value)
        shown.append(f"{name}:{text if len(text) <= 40 else text[:39] + '…'}")
    return "".join(" " + s for s in shown)
