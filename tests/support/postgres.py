"""The local PostgreSQL server that store tests use when it answers."""

from __future__ import annotations

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_reason() -> str | None:
    """Why PostgreSQL cases must skip, or None when a server answers."""
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3
        ):
            return None
    except Exception as error:  # any failure to connect means: skip, saying why
        return f"no PostgreSQL at 127.0.0.1:5432 ({type(error).__name__}: {error})".strip()
