"""removed talks: a talk gone from its meeting file is kept while questions hang on it

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("talk", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the table and, through
    # ON DELETE CASCADE, the speakers, questions and Q&A rows that hang on its talks.
    op.drop_column("talk", "removed_at")
