"""commands by member: the registration change limit reads a member's recent commands

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_command_user_received", "command", ["user_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_command_user_received", table_name="command")
