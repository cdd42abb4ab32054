"""The JOIN sign's page: shop name, QR code, "text KEYWORD to NUMBER" and disclosures.

Every text block has a box on the page (US Letter, inside :data:`MARGIN_INCHES` on
each side) and is fitted into it: words wrap onto more lines first, then the font
shrinks step by step, and a word too long for a line at the smallest size is split.
Widths are measured with matplotlib's own text metrics at the resolution the sign
is saved at, so a long shop name, the longest keyword or a long foreign number stays
on the page in the PNG and the PDF alike.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from desktop_app.errors import ValidationError

PAGE_INCHES: Final = (8.5, 11.0)
DPI: Final = 150
# Home and office printers leave about a quarter inch unprinted; the text keeps
# well clear of that.
MARGIN_INCHES: Final = 0.75
SMALLEST_FONT: Final = 4.0
_SHRINK: Final = 0.92
_LINE_SPACING: Final = 1.25
_NO_BREAK: Final = "\u00a0"
_NAME_TOO_LONG: Final = (
    "Settings, field 'Shop name': the name is too long to fit on the sign; shorten it."
)


@dataclass(frozen=True)
class _Block:
    """Where one text block may go and how it looks when nothing is too long.

    Attributes:
        top: the block's upper edge, as a fraction of the page height.
        bottom: its lower edge, as a fraction of the page height.
        fontsize: the size it is drawn at when it fits.
        readable: the size below which it wraps onto any number of lines.
        max_lines: how many lines it may take before the font shrinks.
        weight: ``normal`` or ``bold``.
    """

    top: float
    bottom: float
    fontsize: float
    readable: float
    max_lines: int
    weight: str = "normal"


_TITLE: Final = _Block(0.960, 0.862, 34, 20, 2, "bold")
_SUBTITLE: Final = _Block(0.855, 0.815, 22, 14, 1)
_QR_BOX: Final = (0.2, 0.3, 0.6, 0.5)  # left, bottom, width, height
_HOW: Final = _Block(0.295, 0.205, 16, 11, 2)
_DISCLOSURE: Final = _Block(0.195, 0.040, 11, 7, 6)


def sign_figure(
    shop_name: str,
    shown_number: str,
    keyword: str,
    qr_modules: Sequence[Sequence[bool]],
) -> Any:
    """Lay out the sign and return it as a matplotlib ``Figure``.

    Args:
        shop_name: the shop's name as the owner typed it.
        shown_number: the shop's number as customers type it, e.g. ``(212) 555-0100``.
        keyword: the word customers text, already checked.
        qr_modules: the QR code's modules, True for dark.

    Returns:
        A US Letter figure at :data:`DPI`; save it as PNG or PDF.

    Raises:
        ValidationError: the shop's name is too long to fit even in small print.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=PAGE_INCHES, dpi=DPI)
    renderer = FigureCanvasAgg(figure).get_renderer()
    name = " ".join(shop_name.split())

    _place(figure, renderer, _TITLE, [name])
    _place(figure, renderer, _SUBTITLE, ["Join our text list"])

    axes = figure.add_axes(_QR_BOX)
    axes.imshow(qr_modules, cmap="binary", interpolation="nearest")
    axes.set_axis_off()

    # No-break spaces keep the number on one line.
    number = shown_number.replace(" ", _NO_BREAK)
    how = f"Scan with your phone camera, or text {keyword} to {number}"
    _place(figure, renderer, _HOW, [how])
    disclosure = [
        f"By texting {keyword} you agree to receive marketing texts from {name}.",
        "Message frequency varies. Msg & data rates may apply.",
        "Consent is not a condition of purchase.",
        "Reply STOP to opt out, HELP for help.",
    ]
    _place(figure, renderer, _DISCLOSURE, disclosure)
    return figure


def _place(
    figure: Any,
    renderer: Any,
    block: _Block,
    paragraphs: list[str],
) -> Any:
    """Add one block of text, wrapped and sized to fit its box, centred in it.

    Raises:
        ValidationError: even the smallest font overflows the box (only a shop
            name of thousands of characters does that).
    """
    width = (PAGE_INCHES[0] - 2 * MARGIN_INCHES) * figure.dpi
    height = (block.top - block.bottom) * PAGE_INCHES[1] * figure.dpi
    artist = figure.text(
        0.5,
        (block.top + block.bottom) / 2,
        "",
        ha="center",
        va="center",
        multialignment="center",
        linespacing=_LINE_SPACING,
        weight=block.weight,
    )

    def extent(content: str, size: float) -> tuple[float, float]:
        artist.set_text(content)
        artist.set_fontsize(size)
        box = artist.get_window_extent(renderer)
        return box.width, box.height

    def wrapped(size: float) -> list[str] | None:
        def fits(line: str) -> bool:
            return extent(line, size)[0] <= width

        # Above the readable size a word too wide for a line shrinks the font
        # rather than being split.
        readable = size >= block.readable
        words = [_words(paragraph) for paragraph in paragraphs]
        lines = [line for each in words for line in _wrap(each, fits)]
        if readable and (
            len(lines) > block.max_lines
            or not all(fits(word) for each in words for word in each)
        ):
            return None
        return lines

    size = block.fontsize
    lines = wrapped(size)
    while lines is None or extent("\n".join(lines), size)[1] > height:
        if size <= SMALLEST_FONT:
            raise ValidationError(_NAME_TOO_LONG)
        size = max(SMALLEST_FONT, size * _SHRINK)
        lines = wrapped(size)

    artist.set_text("\n".join(lines))
    artist.set_fontsize(size)
    return artist


def _wrap(words: Sequence[str], fits: Callable[[str], bool]) -> list[str]:
    """Fill lines word by word; a word wider than a whole line is split."""
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue

        if current:
            lines.append(current)
        while len(word) > 1 and not fits(word):
            cut = _longest_fitting_prefix(word, fits)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _words(text: str) -> list[str]:
    """Split at plain spaces only, so a no-break space holds its words together."""
    return [word for word in text.split(" ") if word]


def _longest_fitting_prefix(word: str, fits: Callable[[str], bool]) -> int:
    """Return how many leading characters of ``word`` fit on a line (at least 1)."""
    low, high = 1, len(word) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(word[:middle]):
            low = middle
        else:
            high = middle - 1
    return low
