"""Index votes by void and audit entries by comparison

Restoring a void and the public moderation note both look votes up by
void_action_id; a comparison's moderation page lists its audit entries newest first.

Revision ID: b2ab617b5827
Revises: b27544c430b2
Create Date: 2026-12-04 15:38:25.550562

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b2ab617b5827'
down_revision = 'b27544c430b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_moderation_actions_comparison', ['comparison_id', 'id'], unique=False
        )

    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index('ix_votes_void_action', ['void_action_id'], unique=False)


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('ix_votes_void_action')

    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_actions_comparison')
