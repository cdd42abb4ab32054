#!/usr/bin/env bash
# Turn Duet's Linux one-folder bundle into build/Duet-VERSION-ARCH.AppImage.
#
#   installers/linux/build-appimage.sh [BUNDLE_DIR]     (default: build/dist/duet)
#
# Needs appimagetool (https://github.com/AppImage/appimagetool/releases) on the PATH
# or in $APPIMAGETOOL; it is not packaged by Debian and cannot be downloaded on the
# CI machine, so CI ships the tarball (build-tarball.sh) instead. Run
# scripts/build-bundle first. Build on the oldest distribution you support: the
# AppImage carries the build machine's glibc requirement.
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle="${1:-build/dist/duet}"
tool="${APPIMAGETOOL:-$(command -v appimagetool || true)}"
if [ -z "$tool" ]; then
  echo "build-appimage: appimagetool is not installed; see installers/README.md." >&2
  echo "build-appimage: use installers/linux/build-tarball.sh for a tarball instead." >&2
  exit 3
fi
[ -x "$bundle/duet" ] || { echo "build-appimage: no bundle at $bundle" >&2; exit 1; }
version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' desktop_app/__init__.py)"
appdir="build/Duet.AppDir"
rm -rf "$appdir"
mkdir -p "$appdir/usr/lib" "$appdir/usr/share/applications" \
  "$appdir/usr/share/icons/hicolor/scalable/apps"
cp -R "$bundle" "$appdir/usr/lib/duet"
cp installers/linux/duet.desktop "$appdir/duet.desktop"
cp installers/linux/duet.desktop "$appdir/usr/share/applications/duet.desktop"
cp resources/duet.svg "$appdir/duet.svg"
cp resources/duet.svg "$appdir/usr/share/icons/hicolor/scalable/apps/duet.svg"
ln -s duet.svg "$appdir/.DirIcon"
cat > "$appdir/AppRun" <<'RUN'
#!/bin/sh
here="$(dirname "$(readlink -f "$0")")"
exec "$here/usr/lib/duet/duet" "$@"
RUN
chmod +x "$appdir/AppRun"
ARCH="$(uname -m)" VERSION="$version" "$tool" --no-appstream "$appdir" \
  "build/Duet-$version-$(uname -m).AppImage"
echo "wrote build/Duet-$version-$(uname -m).AppImage"
