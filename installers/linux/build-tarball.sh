#!/usr/bin/env bash
# Pack Duet's Linux one-folder bundle into build/duet-VERSION-linux-ARCH.tar.gz.
#
#   installers/linux/build-tarball.sh [BUNDLE_DIR]     (default: build/dist/duet)
#
# The tarball holds duet/ (the bundle), duet.desktop, the icon (SVG and 256 px PNG)
# and install.sh, which installs for the current user. Run scripts/build-bundle first;
# it also renders build/icons/.
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle="${1:-build/dist/duet}"
[ -x "$bundle/duet" ] || { echo "build-tarball: no bundle at $bundle" >&2; exit 1; }
[ -f build/icons/duet-256.png ] || { echo "build-tarball: run installers/make_icons.py first" >&2; exit 1; }
version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' desktop_app/__init__.py)"
name="duet-$version-linux-$(uname -m)"
stage="build/tarball/$name"
rm -rf "build/tarball"
mkdir -p "$stage"
cp -R "$bundle" "$stage/duet"
cp installers/linux/duet.desktop installers/linux/install.sh "$stage/"
cp resources/duet.svg build/icons/duet-256.png "$stage/"
chmod +x "$stage/install.sh"
tar -C build/tarball -czf "build/$name.tar.gz" "$name"
rm -rf "build/tarball"
echo "wrote build/$name.tar.gz ($(du -m "build/$name.tar.gz" | cut -f1) MB)"
