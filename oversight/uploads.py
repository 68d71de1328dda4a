"""Attachments to visits (photos, scans of the minutes): checked by size and by content."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

# The first bytes of each accepted type; the file's name and declared type are not trusted.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "JPEG": (b"\xff\xd8\xff",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "PDF": (b"%PDF-",),
}


def sniff_type(head: bytes) -> str | None:
    """The accepted type whose signature starts ``head``, if any (also WebP and HEIC photos)."""
    for name, prefixes in SIGNATURES.items():
        if head.startswith(prefixes):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "HEIC"
    return None


def validate_attachment(upload: File) -> None:
    limit = settings.VISIT_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("Tệp quá lớn (%(size)s MB); tối đa %(limit)s MB.")
            % {"size": round(upload.size / 1_048_576, 1), "limit": limit // 1_048_576}
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    if sniff_type(head) is None:
        raise ValidationError(_("Chỉ nhận ảnh (JPEG, PNG, WebP, HEIC) hoặc tệp PDF."))
