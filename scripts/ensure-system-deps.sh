#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing:
# chromium (browser tests through playwright-core), python3-msal (independent MSAL client) and
# systemd (systemd-analyze verify/security of the service unit; systemd is not started), dbus and
# gnome-keyring (a real Secret Service for the keyring test, in a private session bus), postgresql
# (initdb/pg_ctl for the throwaway clusters of test/support/postgres.ts; no cluster of its own is used).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import msal' 2>/dev/null || missing+=(python3-msal)
[ -x /usr/bin/systemd-analyze ] || missing+=(systemd)
[ -x /usr/bin/dbus-daemon ] || missing+=(dbus)
[ -x /usr/bin/gnome-keyring-daemon ] || missing+=(gnome-keyring)
# swaks: an independent SMTP client for the relay's tests (test/relay/real-clients.test.ts).
[ -x /usr/bin/swaks ] || missing+=(swaks)
# PostgreSQL (issue 16): Debian puts initdb and pg_ctl under /usr/lib/postgresql/<major>/bin, not on PATH.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing system packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "These packages are needed for the tests: ${missing[*]}. Run as root or install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
