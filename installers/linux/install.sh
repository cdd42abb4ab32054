#!/bin/sh
# Install Duet for the current user (no root needed). Run from the unpacked tarball:
#   ./install.sh            install or update
#   ./install.sh --remove   uninstall; Duet's data (~/.local/share/Duet) is kept
#   ./install.sh --purge    uninstall and delete Duet's data and logs too
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
state_home="${XDG_STATE_HOME:-$HOME/.local/state}"
prefix="${DUET_PREFIX:-$HOME/.local/opt/duet}"
bin_dir="$HOME/.local/bin"
apps="$data_home/applications"
icons="$data_home/icons/hicolor"

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
}

remove() {
  rm -rf "$prefix"
  rm -f "$bin_dir/duet" "$apps/duet.desktop"
  rm -f "$icons/scalable/apps/duet.svg" "$icons/256x256/apps/duet.png"
  refresh
  echo "Duet is uninstalled."
}

case "${1:-}" in
  --remove)
    remove
    echo "Your customers, templates and history are still in $data_home/Duet."
    exit 0 ;;
  --purge)
    remove
    rm -rf "$data_home/Duet" "$state_home/Duet"
    echo "Duet's data and logs are deleted."
    exit 0 ;;
  "") ;;
  *) echo "usage: ./install.sh [--remove | --purge]" >&2; exit 2 ;;
esac

[ -x "$here/duet/duet" ] || { echo "install.sh: $here/duet/duet is missing" >&2; exit 1; }
mkdir -p "$(dirname "$prefix")" "$bin_dir" "$apps" "$icons/scalable/apps" "$icons/256x256/apps"
staging="$prefix.new.$$"
rm -rf "$staging"
cp -R "$here/duet" "$staging"
rm -rf "$prefix"
mv "$staging" "$prefix"
ln -sf "$prefix/duet" "$bin_dir/duet"
cp "$here/duet.svg" "$icons/scalable/apps/duet.svg"
cp "$here/duet-256.png" "$icons/256x256/apps/duet.png"
# The menu entry names the program by its full path: ~/.local/bin is not always on
# the PATH a desktop session starts programs with.
sed -e "s|^Exec=duet|Exec=$prefix/duet|" -e "s|^TryExec=duet|TryExec=$prefix/duet|" \
  "$here/duet.desktop" > "$apps/duet.desktop"
refresh
echo "Duet is installed in $prefix and in your applications menu."
echo "Run it from the menu, or as 'duet' if $bin_dir is on your PATH."
