"""lease: one active instance among several on one store (a lease with an epoch that fences
writes), and the instances as they last said; the command journal indexed for its pruning

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    lease = op.create_table(
        "lease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("since", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    renewal = op.create_table(
        "lease_renewal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("renewed_at", sa.Float(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "instance",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Answered commands are pruned by date: the index reads the range instead of every one.
    op.create_index("ix_command_state_answered", "command", ["state", "answered_at"])
    op.drop_index("ix_command_state", table_name="command")
    # The rows exist from the start: taking the lease is then an update, never a race to insert.
    op.bulk_insert(lease, [{"id": 1, "epoch": 0, "holder": None, "host": "", "pid": 0}])
    op.bulk_insert(renewal, [{"id": 1, "epoch": 0, "holder": None}])


def downgrade() -> None:
    op.create_index("ix_command_state", "command", ["state"])
    op.drop_index("ix_command_state_answered", table_name="command")
    op.drop_table("instance")
    op.drop_table("lease_renewal")
    op.drop_table("lease")
