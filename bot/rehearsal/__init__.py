"""The rehearsal: the meeting day played locally against the Discord double, as members see it."""
