"""days and rooms: sessions and talks carry a room and the source's id; meetings what they follow

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "meeting", sa.Column("follow_json", sa.String(), nullable=False, server_default="{}")
    )
    for table in ("meeting_session", "talk"):
        op.add_column(table, sa.Column("room", sa.String(), nullable=False, server_default=""))
        op.add_column(table, sa.Column("uid", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    for table in ("talk", "meeting_session"):
        op.drop_column(table, "uid")
        op.drop_column(table, "room")
    op.drop_column("meeting", "follow_json")
