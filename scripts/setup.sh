#!/usr/bin/env bash
# Installs what the tests and the sandbox host need on a fresh Debian machine:
# Debian packages (real sshd, PostgreSQL, Redis, Caddy, rclone, age, git), the npm
# packages, Node 24 (from the npm `node` package) and the `dokku` Unix user the sandbox
# logs in as. Idempotent: a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

packages=(openssh-server openssh-client postgresql redis-server caddy rclone age git zstd util-linux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Install scripts are off (.npmrc) so that ssh2's native addons never reach dist/;
# the one install script we need is the `node` package's, which provides Node 24.
stamp=node_modules/.dokku-stack-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x node_modules/.bin/node ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  npm rebuild node --ignore-scripts=false --loglevel=error >&2
  echo "$want" > "$stamp"
fi
version="$(node_modules/.bin/node --version)"
case "$version" in
  v24.*) ;;
  *) echo "setup: expected Node 24 from the npm 'node' package, got $version" >&2; exit 1 ;;
esac

if ! id dokku >/dev/null 2>&1; then
  echo "setup: creating the 'dokku' Unix user for the sandbox host" >&2
  $SUDO useradd --create-home --shell /bin/bash dokku
fi
# A new account is locked (no password) and sshd refuses locked accounts even for keys.
$SUDO usermod -p '*' dokku
$SUDO mkdir -p /run/sshd
