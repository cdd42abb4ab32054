"""The JOIN sign keeps every word on the page, however long the name or keyword."""

import itertools
import re
import zlib
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.errors import ValidationError
from desktop_app.services import compliance, join_sign

LONGEST_KEYWORD = "ABCDEFGHIJKLMNOPQRST"  # 20 characters, the most a keyword takes
LONG_NAME = (
    "The Extraordinarily Long-Named Neighbourhood Hardware & Garden Supply Emporium "
    "of Greater Springfield"
)
# One unbreakable word of wide letters: it must shrink, then split.
WIDE_NAME = "W" * 48
QR = [[(row + column) % 3 == 0 for column in range(33)] for row in range(33)]

SIGNS = {
    "normal": ("Corner Shop", "(212) 555-0123", "JOIN"),
    "long name": (LONG_NAME, "(212) 555-0123", "JOIN"),
    "longest keyword": ("Corner Shop", "(212) 555-0123", LONGEST_KEYWORD),
    "everything long": (LONG_NAME, "010 1234 5678", LONGEST_KEYWORD),
    "wide letters": (WIDE_NAME, "01 23 45 67 89", "W" * 20),
}


def _boxes(figure) -> tuple[list, object]:
    renderer = figure.canvas.get_renderer()
    texts = [text.get_window_extent(renderer) for text in figure.texts]
    (axes,) = figure.axes
    return texts, axes.get_window_extent(renderer)


@pytest.mark.parametrize("case", SIGNS, ids=list(SIGNS))
def test_every_text_block_lies_inside_the_margins(case: str) -> None:
    figure = join_sign.sign_figure(*SIGNS[case], QR)

    texts, qr_box = _boxes(figure)

    width, height = (side * join_sign.DPI for side in join_sign.PAGE_INCHES)
    margin = join_sign.MARGIN_INCHES * join_sign.DPI
    assert len(texts) == 4
    for box in texts:
        assert margin <= box.x0 and box.x1 <= width - margin, (box, case)
        assert margin / 2 <= box.y0 and box.y1 <= height - margin / 2, (box, case)
        assert not box.overlaps(qr_box), case
    for first, second in itertools.combinations(texts, 2):
        assert not first.overlaps(second), case


@pytest.mark.parametrize("case", ["long name", "longest keyword", "everything long"])
def test_wrapping_keeps_every_word_and_the_number_whole(case: str) -> None:
    name, number, keyword = SIGNS[case]

    figure = join_sign.sign_figure(name, number, keyword, QR)

    title, _subtitle, how, disclosure = (text.get_text() for text in figure.texts)
    assert " ".join(title.split()) == name
    assert how.replace("\n", " ").replace("\u00a0", " ") == (
        f"Scan with your phone camera, or text {keyword} to {number}"
    )
    assert any(line.endswith(number.replace(" ", "\u00a0")) for line in how.split("\n"))
    assert f"texts from {name}." in " ".join(disclosure.split())


def test_a_short_sign_keeps_its_big_print() -> None:
    figure = join_sign.sign_figure("Corner Shop", "(212) 555-0123", "JOIN", QR)

    title, subtitle, how, _ = figure.texts
    assert (title.get_fontsize(), subtitle.get_fontsize()) == (34, 22)
    assert how.get_fontsize() == 16 and "\n" not in how.get_text()


def test_a_long_name_wraps_before_it_shrinks_much() -> None:
    figure = join_sign.sign_figure(LONG_NAME, "(212) 555-0123", "JOIN", QR)

    title = figure.texts[0]
    assert title.get_text().count("\n") >= 1
    assert title.get_fontsize() >= 14


def _white(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    return image.crop(box).getextrema() == (255, 255)


@pytest.mark.parametrize("case", ["long name", "everything long", "wide letters"])
def test_the_png_has_blank_margins(tmp_path: Path, case: str) -> None:
    name, _, keyword = SIGNS[case]

    out = compliance.make_join_sign(
        name, "+33123456789", tmp_path / "sign.png", keyword=keyword
    )

    with Image.open(out) as image:
        grey = image.convert("L")
    width, height = grey.size
    band = join_sign.DPI // 2  # half an inch
    assert _white(grey, (0, 0, band, height))
    assert _white(grey, (width - band, 0, width, height))
    assert _white(grey, (0, 0, width, band // 2))
    assert _white(grey, (0, height - band // 2, width, height))


def _pdf_line_origins(data: bytes) -> list[tuple[float, float]]:
    """Return where each line of text starts in a matplotlib PDF, in points."""
    origins = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for x, y in re.findall(rb"1 0 -?0 1 (-?[\d.]+) (-?[\d.]+) cm\s+BT", content):
            origins.append((float(x), float(y)))
    return origins


@pytest.mark.parametrize("case", ["long name", "everything long", "wide letters"])
def test_the_pdf_keeps_every_line_inside_the_margins(tmp_path: Path, case: str) -> None:
    name, _, keyword = SIGNS[case]

    out = compliance.make_join_sign(
        name, "+33123456789", tmp_path / "sign.pdf", keyword=keyword
    )

    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and b"/MediaBox [ 0 0 612 792 ]" in data
    origins = _pdf_line_origins(data)
    assert len(origins) >= 9  # every line of the four blocks
    # Lines are centred on the page, so a line starting half an inch (36 pt) in
    # also ends half an inch before the right edge.
    assert all(x >= 36 and 36 <= y <= 792 - 36 for x, y in origins), origins


def test_a_name_too_long_for_any_print_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="'Shop name': the name is too long"):
        compliance.make_join_sign("Shop " * 2000, "+12125550123", tmp_path / "s.png")

    assert not (tmp_path / "s.png").exists()


def test_a_number_with_an_extension_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"has an extension \(ext\. 12\)"):
        compliance.parse_sign_number("(212) 555-0123 ext. 12", "US")


@pytest.mark.parametrize(
    ("number", "start"),
    [
        ("+12125550123", "+1 212-555-0123 is a made-up number"),
        ("+15550100100", "+1 555-010-0100 does not look like a number in use"),
        ("+33123456789", "+33 1 23 45 67 89 is a landline number"),
        ("+33612345678", None),
    ],
)
def test_sign_number_warning(number: str, start: str | None) -> None:
    warning = compliance.sign_number_warning(number)

    if start is None:
        assert warning is None
    else:
        assert warning is not None and warning.startswith(start)
        assert "\n" not in warning
