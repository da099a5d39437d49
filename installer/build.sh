#!/usr/bin/env bash
# Frozen one-folder build of KBNN Client with PyInstaller (installer/kbnn-client.spec):
#   dist/kbnn-client/kbnn-client        command line
#   dist/kbnn-client/kbnn-client-gui    the window (the same program on Linux)
#   dist/kbnn-client/_internal/         Python, Qt, the libraries and resources/
# On Linux this is what CI builds and smoke-tests (tests/integration/test_frozen_build.py);
# the Windows build (installer\build.bat) uses the same spec.
#
# Usage: installer/build.sh [DISTPATH [WORKPATH]]   (default: dist, build/pyinstaller)
#        PYTHON=/path/to/python installer/build.sh  (default: .venv/bin/python, else python3)
# With makensis installed, also: makensis -DDIST=<DISTPATH>/kbnn-client installer/kbnn-client.nsi
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DISTPATH="$(realpath -m "${1:-$ROOT/dist}")"
WORKPATH="$(realpath -m "${2:-$ROOT/build/pyinstaller}")"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
fi
cd "$ROOT"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DISTPATH" --workpath "$WORKPATH" installer/kbnn-client.spec
echo "build: $DISTPATH/kbnn-client ($(du -sh "$DISTPATH/kbnn-client" | cut -f1))"
