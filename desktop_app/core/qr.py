"""QR codes for emails: a link or a coupon code drawn as a small PNG, no Qt, no PIL.

The ``qrcode`` package works out the modules (the black and white squares); this module
writes them as a 1-bit greyscale PNG with the standard library (``zlib``), so the image
needs neither Pillow nor pypng and the same value always gives the same bytes. An email
carries the image inline (``multipart/related``) and points at it with ``cid:``; the
HTML ``<img>`` keeps the value in ``data-qr`` so the image can be rebuilt from stored
HTML alone (see ``inline_images_in_html``).
"""

import hashlib
import html
import logging
import re
import struct
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

logger = logging.getLogger(__name__)

MAX_VALUE_CHARS: Final = 500
"""Longer values make a dense code that cheap phone cameras misread; refused."""

MODULE_PIXELS: Final = 6
"""Pixels per QR module in the PNG (a version 3 code is then 222 px wide)."""

QUIET_ZONE: Final = 4
"""White modules around the code, as the QR standard asks."""

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_CID_DOMAIN: Final = "duet.invalid"
_IMG_WITH_VALUE: Final = re.compile(
    r'<img\b[^>]*\bsrc="cid:([^"]+)"[^>]*\bdata-qr="([^"]*)"', re.IGNORECASE
)


@dataclass(frozen=True)
class InlineImage:
    """An image an HTML email shows from its own parts (``<img src="cid:...">``).

    Attributes:
        cid: the Content-ID without angle brackets, e.g. ``qr-1a2b…@duet.invalid``.
        png: the PNG file's bytes (left out of ``repr``).
        alt: the text a mail client shows instead of the image.
    """

    cid: str
    png: bytes = field(repr=False)
    alt: str = ""


def value_problem(value: str) -> str | None:
    """Say why ``value`` cannot become a QR code, or None when it can.

    Args:
        value: the link or code, as written in ``{qr:...}``.

    Returns:
        A plain-English reason, or None.
    """
    if not value.strip():
        return "a QR code needs a link or a code after qr:, e.g. {qr:SAVE10}"
    if len(value) > MAX_VALUE_CHARS:
        return (
            f"the QR code value is {len(value):,} characters; "
            f"keep it under {MAX_VALUE_CHARS:,} so phones can scan it"
        )
    return None


def qr_cid(value: str) -> str:
    """Return the Content-ID an email uses for the QR code of ``value``.

    The same value always gets the same id, so one image serves every place it is
    used and a stored HTML body keeps pointing at the right image.

    Args:
        value: the link or code.

    Returns:
        An id such as ``qr-3f1c…@duet.invalid`` (no angle brackets).
    """
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:20]
    return f"qr-{digest}@{_CID_DOMAIN}"


@lru_cache(maxsize=256)
def qr_png(value: str) -> bytes:
    """Draw ``value`` as a QR code and return the PNG file's bytes.

    Args:
        value: the link or code to encode (UTF-8).

    Returns:
        A 1-bit greyscale PNG, black modules on white with a 4-module quiet zone.

    Raises:
        ValueError: the value is empty or too long (see ``value_problem``).
    """
    problem = value_problem(value)
    if problem:
        raise ValueError(problem)

    # Imported here: qrcode (with Pillow behind it) costs start-up time and only
    # emails with a QR code need it.
    import qrcode
    import qrcode.constants

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE
    )
    code.add_data(value.encode("utf-8"))
    code.make(fit=True)
    png = _png_from_matrix(code.get_matrix(), MODULE_PIXELS)
    logger.debug("QR code drawn: version %s, %d bytes", code.version, len(png))
    return png


def qr_size(value: str) -> int:
    """Return the width (and height) in pixels of ``qr_png(value)``.

    Args:
        value: the link or code.

    Returns:
        The side of the square image in pixels.
    """
    width, _height = struct.unpack(">II", qr_png(value)[16:24])
    return int(width)


def qr_image(value: str) -> InlineImage:
    """Return the inline image for ``value``: its Content-ID, PNG and alt text.

    Args:
        value: the link or code.

    Returns:
        The image, ready for ``multipart/related``.

    Raises:
        ValueError: the value is empty or too long.
    """
    return InlineImage(cid=qr_cid(value), png=qr_png(value), alt=f"QR code: {value}")


def img_tag(value: str) -> str:
    """Return the HTML ``<img>`` that shows the QR code of ``value`` in an email.

    Args:
        value: the link or code (escaped here).

    Returns:
        An ``<img src="cid:...">`` carrying the value in ``alt`` and ``data-qr``.

    Raises:
        ValueError: the value is empty or too long.
    """
    size = qr_size(value)
    escaped = html.escape(value)
    return (
        f'<img src="cid:{qr_cid(value)}" width="{size}" height="{size}" '
        f'alt="QR code: {escaped}" data-qr="{escaped}">'
    )


def inline_images_in_html(html_text: str) -> tuple[InlineImage, ...]:
    """Rebuild the QR images an HTML email body points at, each once.

    The sending service stores only the HTML; this turns it back into the images
    to attach, so the queue needs no extra column for them.

    Args:
        html_text: an HTML body made by ``templates.render_pair``.

    Returns:
        One image per distinct ``cid:`` QR reference, in order of first use. A
        reference whose value does not give the same Content-ID is left out.
    """
    images: dict[str, InlineImage] = {}
    for match in _IMG_WITH_VALUE.finditer(html_text):
        cid, value = match.group(1), html.unescape(match.group(2))
        if cid not in images and value_problem(value) is None and qr_cid(value) == cid:
            images[cid] = qr_image(value)
    return tuple(images.values())


def _png_from_matrix(matrix: list[list[bool]], scale: int) -> bytes:
    """Write a QR matrix (True = dark) as a 1-bit greyscale PNG, ``scale`` px/module."""
    side = len(matrix) * scale
    rows = bytearray()
    for modules in matrix:
        bits = "".join(("0" if dark else "1") * scale for dark in modules)
        bits += "0" * (-len(bits) % 8)
        row = bytes([0]) + int(bits, 2).to_bytes(len(bits) // 8, "big")
        rows += row * scale

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
