"""Add moderators.session_epoch so signing out ends copied sessions too

Revision ID: 5c1e7d2a9b40
Revises: b2ab617b5827
Create Date: 2026-12-04 17:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5c1e7d2a9b40"
down_revision = "b2ab617b5827"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
