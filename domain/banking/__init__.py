"""Bank statements: reading the files artisans download, RF references, matching payments.

Pure code only: no database, no Flask. The import transaction, the models and the pages build
on these modules:

- `references`: ISO 11649 creditor references (RF…) and finding references in remittance text;
- `statements`: `parse_statement(data, filename)` for OFX/QFX, CAMT.053, CFONB 120 and French
  banks' CSV exports, plus `check_account`; one module per format (`ofx`, `camt053`,
  `cfonb120`, `bank_csv`), shared types in `model`;
- `matching`: statement credits against open invoices (exact reference, amount and name,
  scored suggestions).
"""
