"""e-invoices: client SIRET, category of the operation, e-invoice format

Revision ID: 396f70a8d54d
Revises: f54830940393
Create Date: 2026-11-27 17:21:43.355606

Three columns, all additive (no data rewritten):
- clients.siret: a business client may give its SIRET rather than its SIREN; the SIREN
  stays in clients.siren (derived from the SIRET when one is given).
- documents.operation_category: goods / services / mixed, a mention from 2027 (décret
  2022-1299); NULL on a draft means "from the lines", it is set at issue.
- documents.einvoice_format: how an issued invoice was frozen as an e-invoice
  ("factur-x/en16931"). Documents issued before this revision keep NULL: their stored PDF
  is what they were issued as, and stays so.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '396f70a8d54d'
down_revision = 'f54830940393'
branch_labels = None
depends_on = None


def upgrade():
    # On SQLite, batch mode adds columns with ALTER TABLE ... ADD COLUMN (no table copy).
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('siret', sa.String(length=14), server_default='', nullable=False))

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operation_category', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('einvoice_format', sa.String(length=30), nullable=True))


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('einvoice_format')
        batch_op.drop_column('operation_category')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('siret')
