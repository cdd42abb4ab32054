"""QR codes as PNG bytes, their Content-IDs and their rebuilding from HTML."""

import io
import struct
import zlib

import pytest
import qrcode
import qrcode.constants
from PIL import Image

from desktop_app.core import qr


def _matrix(value: str) -> list[list[bool]]:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=qr.QUIET_ZONE
    )
    code.add_data(value.encode("utf-8"))
    code.make(fit=True)
    return code.get_matrix()


@pytest.mark.parametrize("value", ["SAVE10", "https://example.com/coupon?c=A1", "Zoë"])
def test_qr_png_draws_every_module(value: str) -> None:
    png = qr.qr_png(value)

    image = Image.open(io.BytesIO(png))
    image.load()
    matrix = _matrix(value)
    scale = qr.MODULE_PIXELS
    assert image.size == (len(matrix) * scale, len(matrix) * scale)
    assert qr.qr_size(value) == image.size[0]
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            x, y = column * scale + scale // 2, row * scale + scale // 2
            assert (image.getpixel((x, y)) == 0) is dark


def test_qr_png_is_a_valid_png_with_checksums() -> None:
    png = qr.qr_png("SAVE10")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")

    position = 8
    kinds = []
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(
            ">I", png[position + 8 + length : position + 12 + length]
        )
        assert zlib.crc32(kind + data) & 0xFFFFFFFF == crc
        kinds.append(kind)
        position += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


def test_same_value_same_bytes_and_cid() -> None:
    assert qr.qr_png("SAVE10") == qr.qr_png("SAVE10")
    assert qr.qr_cid("SAVE10") == qr.qr_cid("SAVE10")
    assert qr.qr_cid("SAVE10") != qr.qr_cid("SAVE11")
    assert qr.qr_cid("SAVE10").endswith("@duet.invalid")


@pytest.mark.parametrize("value", ["", "   ", "x" * (qr.MAX_VALUE_CHARS + 1)])
def test_unusable_values_are_refused(value: str) -> None:
    assert qr.value_problem(value)
    with pytest.raises(ValueError, match="QR code"):
        qr.qr_png(value)


def test_img_tag_escapes_the_value_and_names_the_cid() -> None:
    value = 'A&B "x"'
    tag = qr.img_tag(value)
    assert f'src="cid:{qr.qr_cid(value)}"' in tag
    assert 'data-qr="A&amp;B &quot;x&quot;"' in tag
    assert 'alt="QR code: A&amp;B &quot;x&quot;"' in tag


def test_inline_images_are_rebuilt_from_html_once_each() -> None:
    html = (
        f"<p>{qr.img_tag('SAVE10')} and {qr.img_tag('A&B')}</p>"
        f"<p>{qr.img_tag('SAVE10')}</p>"
    )

    images = qr.inline_images_in_html(html)

    assert [image.cid for image in images] == [qr.qr_cid("SAVE10"), qr.qr_cid("A&B")]
    assert images[1].png == qr.qr_png("A&B")
    assert images[1].alt == "QR code: A&B"


def test_inline_images_ignore_a_tampered_reference() -> None:
    html = f'<img src="cid:{qr.qr_cid("SAVE10")}" data-qr="SAVE99">'
    assert qr.inline_images_in_html(html) == ()
