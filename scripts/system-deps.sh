#!/usr/bin/env bash
# Install the Debian packages Encaisse needs, only those missing (dpkg -s tells).
#   runtime : WeasyPrint's Pango/HarfBuzz libraries and a font
#   test    : + Debian's Chromium (browser tests) and poppler-utils (PDF pages to PNG)
#   postgres: + PostgreSQL server (CI's second run)
#   bench   : + wrk (the HTTP load of `make bench`)
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
for profile in "$@"; do
  case "$profile" in
    runtime) ;;
    test) packages+=(chromium poppler-utils) ;;
    postgres) packages+=(postgresql) ;;
    bench) packages+=(wrk) ;;
    *) echo "unknown profile: $profile" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# python3 -m venv needs Debian's python3-venv when python3 is the system one.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
