#!/usr/bin/env bash
# Installs what KBNN Client needs on Debian/Ubuntu and makes .venv with the
# project in it (editable, with the test extra). Idempotent; run as root or
# with sudo available. Usage: tools/bootstrap.sh
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-pip
  softhsm2 opensc openssl
  xvfb xauth libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1
  libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-cursor0 libnss3 libxcomposite1
  libxdamage1 libxrandr2 libxtst6 libasound2
  fonts-dejavu-core poppler-utils
  nsis
  chromium chromium-driver
)

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv --system-site-packages .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
echo "bootstrap: ready (.venv/bin/kbnn-client)"
