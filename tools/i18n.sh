#!/usr/bin/env bash
# Regenerate the GUI's translation catalogues (run from anywhere; needs the project venv).
#   resources/i18n/kbnn_en.ts   English for every string the GUI shows (sources are Vietnamese),
#                               extracted from client/ui/*.py by pyside6-lupdate; translations
#                               already in the file are kept, new strings come in "unfinished".
#   resources/i18n/qtbase_vi.ts Vietnamese for Qt's own texts (dialog and wizard buttons, menus),
#                               written by hand: PySide6 ships no qtbase_vi.qm.
# Then pyside6-lrelease compiles both to .qm (commit the .ts and the .qm files).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${VENV_BIN:-$root/.venv/bin}"
lupdate="$bin/pyside6-lupdate"
lrelease="$bin/pyside6-lrelease"
[ -x "$lupdate" ] || lupdate="$(command -v pyside6-lupdate)"
[ -x "$lrelease" ] || lrelease="$(command -v pyside6-lrelease)"
cd "$root"
# -locations none: line numbers would churn the .ts on every edit
"$lupdate" -no-obsolete -locations none -source-language vi_VN -target-language en_US \
    client/ui/*.py -ts resources/i18n/kbnn_en.ts
"$lrelease" resources/i18n/kbnn_en.ts -qm resources/i18n/kbnn_en.qm
"$lrelease" resources/i18n/qtbase_vi.ts -qm resources/i18n/qtbase_vi.qm
# what is still untranslated
if grep -q 'type="unfinished"' resources/i18n/kbnn_en.ts; then
    echo "i18n: $(grep -c 'type="unfinished"' resources/i18n/kbnn_en.ts) string(s) still to translate in resources/i18n/kbnn_en.ts" >&2
fi
