"""days and rooms: sessions and talks carry a room and the source's id; a meeting what it
follows and what its attendees were last told of its programme; a post's target may be another
post's key (a correction's)

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
    for column in ("follow_json", "announced_json"):
        op.add_column("meeting", sa.Column(column, sa.String(), nullable=False, server_default=""))
    for table in ("meeting_session", "talk"):
        op.add_column(table, sa.Column("room", sa.String(), nullable=False, server_default=""))
        op.add_column(table, sa.Column("uid", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("planned_post") as batch:
        batch.alter_column("target", type_=sa.String(length=200), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("planned_post") as batch:
        batch.alter_column("target", type_=sa.String(length=100), existing_nullable=False)
    for table in ("talk", "meeting_session"):
        op.drop_column(table, "uid")
        op.drop_column(table, "room")
    op.drop_column("meeting", "announced_json")
    op.drop_column("meeting", "follow_json")
