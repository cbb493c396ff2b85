"""Alembic's entry point: migrate the engine handed over in the configuration's attributes."""

from alembic import context

from bot.store import standby_models  # noqa: F401 - its tables, in the metadata too
from bot.store.models import SQLModel

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
