"""Mark sample comparisons

Adds comparisons.sample, set from a content file's ``sample = true``, so pages can
tell readers that a comparison was written to demonstrate the site.

Revision ID: b27544c430b2
Revises: c60d8a31dd6f
Create Date: 2026-12-04 15:35:50.879916

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b27544c430b2'
down_revision = 'c60d8a31dd6f'
branch_labels = None
depends_on = None


def upgrade():
    # sa.false() renders as FALSE on PostgreSQL and 0 on SQLite.
    with op.batch_alter_table('comparisons', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('sample', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('comparisons', schema=None) as batch_op:
        batch_op.drop_column('sample')
