#!/usr/bin/env bash
# Build Duet.app and a .dmg on macOS (11 or newer; Intel or Apple silicon).
#
#   installers/macos/build-app.sh
#
# Needs Xcode command-line tools (codesign, hdiutil) and a python.org or Homebrew
# Python 3.11+ as python3. Writes build/dist/Duet.app and build/Duet-VERSION-macos-ARCH.dmg.
# The app is built for the machine's own architecture; build once on each.
# Signing: set DUET_CODESIGN_IDENTITY ("Developer ID Application: ...") to sign with
# the hardened runtime, and DUET_NOTARY_PROFILE (a `xcrun notarytool store-credentials`
# profile) to notarize and staple the .dmg. Without them the app is signed ad hoc,
# which runs on the build Mac; other Macs then need right-click > Open the first time.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(uname -s)" != "Darwin" ]; then
  echo "build-app.sh runs on macOS only; on Linux use scripts/build-bundle." >&2
  exit 2
fi
PYTHON="${PYTHON:-python3}"
venv="build/venv-macos"
version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' desktop_app/__init__.py)"
arch="$(uname -m)"
app="build/dist/Duet.app"
dmg="build/Duet-$version-macos-$arch.dmg"

# 1. Build venv (Duet without test extras, plus PyInstaller), icons, the bundle.
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet . "pyinstaller>=6.10"
QT_QPA_PLATFORM=offscreen "$venv/bin/python" installers/make_icons.py
"$venv/bin/python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath build/dist --workpath build/pyi-macos installers/duet.spec
[ -d "$app" ] || { echo "build-app.sh: $app was not built" >&2; exit 1; }

# 2. Sign (ad hoc unless an identity is given).
identity="${DUET_CODESIGN_IDENTITY:--}"
if [ "$identity" = "-" ]; then
  codesign --force --deep --sign - "$app"
else
  codesign --force --deep --options runtime --timestamp --sign "$identity" "$app"
fi
codesign --verify --deep --strict "$app"

# 3. Smoke check: version, then the window offscreen (opens, paints once, quits).
"$app/Contents/MacOS/duet" --version
smoke="$(mktemp -d)"
trap 'rm -rf "$smoke"' EXIT
QT_QPA_PLATFORM=offscreen "$app/Contents/MacOS/duet" --data-dir "$smoke/data" --quit-after-start
echo "bundle size: $(du -sm "$app" | cut -f1) MB"

# 4. The disk image: Duet.app next to a link to /Applications, compressed.
stage="build/dmg"
rm -rf "$stage" "$dmg"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname "Duet $version" -srcfolder "$stage" -ov -format UDZO "$dmg"
rm -rf "$stage"
if [ "$identity" != "-" ]; then
  codesign --force --timestamp --sign "$identity" "$dmg"
fi
if [ -n "${DUET_NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$DUET_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi
echo "wrote $dmg"
