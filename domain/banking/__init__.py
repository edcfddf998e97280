"""Bank statements: reading the files artisans download, RF references, matching payments.

The readers and the matcher are pure code: no database, no Flask (tests/unit/banking/test_purity.py):

- `references`: ISO 11649 creditor references (RF…) and finding references in remittance text;
- `statements`: `parse_statement(data, filename)` for OFX/QFX, CAMT.053, CFONB 120 and French
  banks' CSV exports, plus `check_account`; one module per format (`ofx`, `camt053`,
  `cfonb120`, `bank_csv`), shared types in `model`;
- `matching`: statement credits against open invoices (exact reference, amount and name,
  scored suggestions).

On them, with the database: `models` (accounts, statements, lines, allocations), `imports` (a
file imported in one transaction, each operation once), `reconciliation` (proposals kept up to
date, confirming, splitting, setting aside, undoing: every payment through
`domain.billing.payments.record_payment`) and `lists` (what the bank pages show). Banking sits
beside `portal`, above `collections` and `billing`: nothing below it knows about it.
"""
