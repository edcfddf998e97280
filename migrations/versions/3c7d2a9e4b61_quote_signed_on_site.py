"""A quote signed on site: channel, finger signature and who handed over the tablet

Revision ID: 3c7d2a9e4b61
Revises: 9c6a90fac732
Create Date: 2026-11-27 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3c7d2a9e4b61'
down_revision = '9c6a90fac732'
branch_labels = None
depends_on = None


def upgrade():
    # Existing answers all came through the client's link: the server default says so.
    with op.batch_alter_table('client_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), server_default='link', nullable=False))
        batch_op.add_column(sa.Column('signature_png', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_client_responses_recorded_by_id_users'), 'users',
                                    ['recorded_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('client_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_client_responses_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('signature_png')
        batch_op.drop_column('channel')
