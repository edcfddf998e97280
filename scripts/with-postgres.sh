#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on loopback:
#   scripts/with-postgres.sh make test
# The cluster lives in a temporary directory (fsync off: it is thrown away) and is
# stopped and removed on exit. TEST_DATABASE_URL and DATABASE_URL point to it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh postgres

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "PostgreSQL binaries not found" >&2; exit 1; }
workdir=$(mktemp -d /tmp/encaisse-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_pg() {
  # initdb refuses to run as root: use the postgres system user when we are root.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" -eq 0 ]; then chown postgres "$workdir"; fi

cleanup() {
  as_pg "$bindir/pg_ctl" -D "$workdir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

as_pg "$bindir/initdb" -D "$workdir/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/log" -w start \
  -o "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres encaisse_test

export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/encaisse_test"
export DATABASE_URL="$TEST_DATABASE_URL"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$@"
