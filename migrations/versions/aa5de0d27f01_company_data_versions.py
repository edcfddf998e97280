"""company data versions: a per-company counter moved by triggers on every row the figures read;
an index for the lists' default order

The dashboard and the list totals are cached under (company, data version, today)
(domain/core/dataversion.py). For that cache to be exact, every committed change of a row
those figures are computed from must move the company's version in the same transaction.
Triggers do it, whatever code path writes (ORM, conditional updates, raw SQL, imports):

- SQLite: AFTER INSERT/UPDATE/DELETE row triggers (one writer at a time: no lock order issue);
- PostgreSQL: the same as deferred constraint triggers, so that the counter row is locked only
  at COMMIT, after every other lock the transaction takes: two transactions of one company can
  never wait for each other in a cycle (a plain trigger would lock the counter after the first
  row and before the next ones: a payment and a credit note on one invoice could deadlock).

Revision ID: aa5de0d27f01
Revises: 3c7d2a9e4b61
Create Date: 2026-11-27 18:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'aa5de0d27f01'
down_revision = '3c7d2a9e4b61'
branch_labels = None
depends_on = None

# The tables the dashboard, the plan of the day and the list totals read, with the column
# that names the company.
TRACKED = {
    'companies': 'id', 'clients': 'company_id', 'contacts': 'company_id', 'documents': 'company_id',
    'payments': 'company_id', 'tasks': 'company_id', 'reminder_plans': 'company_id',
}
BUMP = ("INSERT INTO company_data_versions (company_id, version) VALUES ({ref}, 1) "
        "ON CONFLICT (company_id) DO UPDATE SET version = company_data_versions.version + 1")


def upgrade():
    op.create_table('company_data_versions',
    sa.Column('company_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_company_data_versions'))
    )
    # The lists' default order (most recently issued first), read from an index instead of
    # sorting all of a company's documents on each view.
    op.create_index('ix_documents_company_issue', 'documents', ['company_id', 'issue_date', 'id', 'kind'], unique=False)
    if op.get_context().dialect.name == 'postgresql':
        for table, column in TRACKED.items():
            op.execute(f"""
                CREATE FUNCTION bump_data_version_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' THEN
                        {BUMP.format(ref=f'OLD.{column}')};
                    ELSE
                        {BUMP.format(ref=f'NEW.{column}')};
                    END IF;
                    RETURN NULL;
                END $$""")
            op.execute(f"CREATE CONSTRAINT TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version_{table}()")
        return
    for table, column in TRACKED.items():
        for operation, row in (('INSERT', 'NEW'), ('UPDATE', 'NEW'), ('DELETE', 'OLD')):
            op.execute(f"CREATE TRIGGER data_version_{table}_{operation.lower()} AFTER {operation} ON {table} "
                       f"BEGIN {BUMP.format(ref=f'{row}.{column}')}; END")


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        for table in TRACKED:
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS bump_data_version_{table}()")
    else:
        for table in TRACKED:
            for operation in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{operation}")
    op.drop_table('company_data_versions')
    op.drop_index('ix_documents_company_issue', table_name='documents')
