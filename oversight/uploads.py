"""Attachments (photos and scans of the minutes of visits, decisions and evidence of tasks): the
whole file is checked for what it is, it is stored under a name of the portal's own, and it is
served so that a browser can never run it.

The file's name and declared type come from the person and are never trusted: a file that starts
like a WebP or a PDF but goes on as HTML, named ``.html``, would otherwise be served from the
portal's own origin, where the CSP's ``script-src 'self'`` trusts it.
"""

from __future__ import annotations

import os
import secrets
import warnings
from typing import IO, Any

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader

pillow_heif.register_heif_opener()

# What the portal accepts: the format found in the content → (extension, media type).
ACCEPTED: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "HEIF": ("heic", "image/heic"),
    "PDF": ("pdf", "application/pdf"),
}
UNKNOWN = ("bin", "application/octet-stream")


def sniff_type(head: bytes) -> str | None:
    """The accepted format whose signature starts ``head``: enough to name and serve a file the
    full check (``detect_type``) has already passed, never enough to accept one."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"%PDF-"):
        return "PDF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "HEIF"
    return None


def _head(stream: IO[bytes], size: int = 16) -> bytes:
    position = stream.tell()
    stream.seek(0)
    head = stream.read(size)
    stream.seek(position)
    return head


def detect_type(stream: IO[bytes]) -> str | None:
    """The accepted format of the whole file, or None: an image must decode completely with
    Pillow, a PDF must parse with pypdf and hold a page. A signature followed by anything else
    (HTML, a script) decodes as nothing and is refused."""
    position = stream.tell()
    try:
        stream.seek(0)
        if _head(stream).startswith(b"%PDF-"):
            reader = PdfReader(stream, strict=False)
            return "PDF" if len(reader.pages) > 0 and reader.pages[0] is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                found = image.format
                image.load()  # every pixel, not just the header
        return found if found in ACCEPTED else None
    except Exception:  # any decoder's complaint means: not a file of an accepted type
        return None
    finally:
        stream.seek(position)


def validate_attachment(upload: File) -> None:
    """Size first, then the whole content; the message says what the portal takes."""
    limit = settings.VISIT_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("Tệp quá lớn (%(size)s MB); tối đa %(limit)s MB.")
            % {"size": round(upload.size / 1_048_576, 1), "limit": limit // 1_048_576}
        )
    if detect_type(upload) is None:
        raise ValidationError(_("Chỉ nhận ảnh (JPEG, PNG, WebP, HEIC) hoặc tệp PDF."))


class AttachmentField(models.FileField):
    """A checked attachment stored as ``<upload_to>/<random>.<extension of its content>``: the
    person's file name is never part of it (``validate_attachment`` is always among its
    validators)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["validators"] = [validate_attachment, *kwargs.get("validators", [])]
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["validators"] = [
            v for v in kwargs.get("validators", []) if v is not validate_attachment
        ]
        if not kwargs["validators"]:
            del kwargs["validators"]
        return name, path, args, kwargs

    def generate_filename(self, instance: Any, filename: str | os.PathLike[str]) -> str:
        content = getattr(instance, self.attname)
        extension = ACCEPTED.get(sniff_type(_head(content)) or "", UNKNOWN)[0]
        folder = timezone.localtime().strftime(str(self.upload_to))  # the portal's month
        name = os.path.join(folder, f"{secrets.token_hex(16)}.{extension}")
        return self.storage.generate_filename(name)


def serve_attachment(stored: FieldFile, download_name: str) -> FileResponse:
    """A stored attachment as a download of the type its content shows (a file stored before
    these checks, whatever its name, goes out as bytes to save), sandboxed and never sniffed."""
    handle = stored.open("rb")
    extension, media_type = ACCEPTED.get(sniff_type(_head(handle)) or "", UNKNOWN)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{download_name}.{extension}",
        content_type=media_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
