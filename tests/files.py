"""Small real files of the types the portal accepts, and polyglots that only look like them."""

import io

from PIL import Image
from pypdf import PdfWriter


def image_bytes(image_format: str, size: tuple[int, int] = (8, 8)) -> bytes:
    """A real image (JPEG, PNG, WEBP, HEIF) that decodes completely."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=image_format)
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


SCRIPT = b"<html><script>fetch('/review/', {method: 'POST'})</script></html>"
# A signature of an accepted type followed by markup or script: what a browser would run if the
# portal served it as the name suggests.
POLYGLOTS = {
    "webp-then-html": (b"RIFF\x00\x00\x00\x00WEBPVP8 " + SCRIPT, "anh.html"),
    "pdf-then-html": (b"%PDF-1.4\n" + SCRIPT, "bien-ban.html"),
    "jpeg-then-script": (b"\xff\xd8\xff\xe0" + SCRIPT, "anh.js"),
    "png-then-script": (b"\x89PNG\r\n\x1a\n" + SCRIPT, "anh.svg"),
    "heic-then-html": (b"\x00\x00\x00\x18ftypheic" + SCRIPT, "anh.htm"),
}
