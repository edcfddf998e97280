#!/usr/bin/env bash
# Until the first release, the schema is one initial migration regenerated from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*.py
DATABASE_URL="sqlite:///$tmp/empty.sqlite3" .venv/bin/flask --app app db migrate -m "initial schema" >/dev/null
rm -rf "$tmp"
ls migrations/versions/
