"""bank statements and payment references

Revision ID: b6ec46cd204c
Revises: 1ca35b796cd9
Create Date: 2026-11-27 17:30:43.510642

Additive only (no row rewritten):
- documents.payment_reference: the ISO 11649 "RF" reference of an invoice, set at issue from
  its number, unique per company. Invoices issued before this revision keep NULL: their
  stored PDF prints no reference and stays what it was.
- bank_accounts, bank_statements, bank_lines (unique per company, account and fingerprint:
  the same operation is never stored twice), bank_allocations (a line's part given to an
  invoice, and the payment it became).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6ec46cd204c'
down_revision = '1ca35b796cd9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('csv_mapping', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_bank_accounts_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_accounts')),
    sa.UniqueConstraint('company_id', 'iban', name='uq_bank_accounts_company_iban')
    )
    op.create_table('bank_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('new_count', sa.Integer(), nullable=False),
    sa.Column('exact_count', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['bank_accounts.id'], name=op.f('fk_bank_statements_account_id_bank_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_bank_statements_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_bank_statements_imported_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statements'))
    )
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.create_index('ix_bank_statements_company_at', ['company_id', 'imported_at'], unique=False)

    op.create_table('bank_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('booking_date', sa.Date(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('remittance', sa.Text(), nullable=False),
    sa.Column('creditor_reference', sa.String(length=35), nullable=True),
    sa.Column('counterparty', sa.String(length=140), nullable=False),
    sa.Column('bank_id', sa.String(length=100), nullable=True),
    sa.Column('end_to_end_id', sa.String(length=100), nullable=True),
    sa.Column('transaction_code', sa.String(length=40), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('match_kind', sa.String(length=12), nullable=False),
    sa.Column('match_score', sa.Integer(), nullable=False),
    sa.Column('match_reason', sa.Text(), nullable=False),
    sa.Column('match_allocations', sa.JSON(), nullable=False),
    sa.Column('over_balance_cents', sa.Integer(), nullable=False),
    sa.Column('partial', sa.Boolean(), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('matched_by_id', sa.Integer(), nullable=True),
    sa.Column('matched_how', sa.String(length=12), nullable=False),
    sa.Column('excess_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('unmatched', 'matched', 'ignored', 'debit')", name=op.f('ck_bank_lines_state_known')),
    sa.ForeignKeyConstraint(['account_id'], ['bank_accounts.id'], name=op.f('fk_bank_lines_account_id_bank_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_bank_lines_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['matched_by_id'], ['users.id'], name=op.f('fk_bank_lines_matched_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statements.id'], name=op.f('fk_bank_lines_statement_id_bank_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_lines')),
    sa.UniqueConstraint('company_id', 'account_id', 'fingerprint', name='uq_bank_lines_fingerprint')
    )
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.create_index('ix_bank_lines_company_state_date', ['company_id', 'state', 'booking_date', 'amount_cents', 'match_kind', 'over_balance_cents'], unique=False)
        batch_op.create_index('ix_bank_lines_statement', ['statement_id'], unique=False)

    op.create_table('bank_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_bank_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_bank_allocations_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bank_allocations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_bank_allocations_document_id_documents')),
    sa.ForeignKeyConstraint(['line_id'], ['bank_lines.id'], name=op.f('fk_bank_allocations_line_id_bank_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_bank_allocations_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_allocations'))
    )
    with op.batch_alter_table('bank_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_bank_allocations_document', ['document_id'], unique=False)
        batch_op.create_index('ix_bank_allocations_line', ['line_id'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_reference', sa.String(length=25), nullable=True))
        batch_op.create_index('uq_documents_company_payment_reference', ['company_id', 'payment_reference'], unique=True)



def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('uq_documents_company_payment_reference')
        batch_op.drop_column('payment_reference')

    with op.batch_alter_table('bank_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_allocations_line')
        batch_op.drop_index('ix_bank_allocations_document')

    op.drop_table('bank_allocations')
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_lines_statement')
        batch_op.drop_index('ix_bank_lines_company_state_date')

    op.drop_table('bank_lines')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_statements_company_at')

    op.drop_table('bank_statements')
    op.drop_table('bank_accounts')
