"""Render resources/duet.svg into the icon files the installers need.

Writes build/icons/duet-<size>.png (16 to 1024 px), duet.ico (Windows) and duet.icns
(macOS). Runs on any OS with PySide6 (QtSvg) and Pillow, which the build venv has:

    QT_QPA_PLATFORM=offscreen build/venv/bin/python installers/make_icons.py
"""

import sys
from pathlib import Path

from PIL import Image

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)


def render_pngs(svg: Path, out_dir: Path) -> dict[int, Path]:
    """Draw ``svg`` at every size in SIZES and return the PNG paths by size."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not a valid SVG file")

    written: dict[int, Path] = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"duet-{size}.png"
        if not image.save(str(path)):
            raise SystemExit(f"make_icons: could not write {path}")
        written[size] = path
    return written


def main() -> int:
    """Write every icon into build/icons and print where they are."""
    out_dir = ROOT / "build" / "icons"
    out_dir.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])

    pngs = render_pngs(ROOT / "resources" / "duet.svg", out_dir)

    largest = Image.open(pngs[256])
    largest.save(out_dir / "duet.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    Image.open(pngs[1024]).save(out_dir / "duet.icns")
    print(f"icons written to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
