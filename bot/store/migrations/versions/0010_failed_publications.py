"""failed publications: when publishing an approved question last failed, so a moderator's
next Approve publishes it, whichever run of the bot it failed in

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "question", sa.Column("publication_failed_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the table and, through
    # ON DELETE CASCADE, the votes that hang on its questions.
    op.drop_column("question", "publication_failed_at")
