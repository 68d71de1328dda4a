"""Issuing a document: the one write of the documents, in one transaction."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.rights import may
from oversight.models import Term
from oversight.reporting.documents import content, layout, pdf, word
from oversight.reporting.models import DocumentCounter, DocumentKind, IssuedDocument

if TYPE_CHECKING:
    from accounts.models import User

ISSUE_RIGHT = "reporting.add_issueddocument"


def do_issue_document(
    actor: User,
    request: content.Request,
    sign_off: content.SignOff,
    *,
    replaces: IssuedDocument | None = None,
) -> IssuedDocument:
    """Issues the report ``request`` asks for: takes the next number of its kind in the
    committee's term (the counter row locked, so two offices issuing at once get two numbers
    and none is reused), writes its DOCX and PDF with their checksums, and records who issued
    it. ``replaces`` is the issued document this one corrects: it keeps its own number and
    files, and the new one names it. Nothing is written unless everything is."""
    if request.kind not in DocumentKind.issued():
        raise ValidationError(_("Chỉ báo cáo mới được ban hành có số; sổ và phiếu chỉ để in."))
    if not may(actor, ISSUE_RIGHT, request.unit):
        raise PermissionDenied(_("Bạn không có quyền ban hành văn bản của cấp ủy này."))
    sign_off.check()
    term = Term.objects.current(sign_off.date).first()
    if term is None:
        raise ValidationError(
            {"date": _("Ngày ban hành không thuộc nhiệm kỳ nào: hãy thêm nhiệm kỳ trước.")}
        )
    stored: list[str] = []
    try:
        with transaction.atomic():
            if replaces is not None:
                replaces = _replaceable(actor, replaces, request)
            document = content.build(actor, request, sign_off)
            counter, _created = DocumentCounter.objects.select_for_update().get_or_create(
                unit=request.unit, term=term, type_code=document.type_code
            )
            counter.last += 1
            counter.save(update_fields=["last"])
            document.number = counter.last
            if replaces is not None:
                document.body.insert(
                    0,
                    layout.Text(
                        f"Báo cáo này thay thế {replaces.reference} ngày "
                        f"{replaces.issued_on:%d/%m/%Y}.",
                        "note",
                    ),
                )
            docx_bytes, pdf_bytes = word.render(document), pdf.render(document)
            start, end = request.period
            issued = IssuedDocument(
                unit=request.unit,
                term=term,
                kind=request.kind,
                type_code=document.type_code,
                number=document.number,
                symbol=document.issuer.symbol,
                subject=document.subject,
                period_start=start,
                period_end=end,
                issued_on=sign_off.date,
                signer=sign_off.signature.name,
                issued_by=actor,
                replaces=replaces,
                docx_sha256=hashlib.sha256(docx_bytes).hexdigest(),
                pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
            )
            name = f"{request.unit.code}/{term.pk}/{document.number:02d}-{document.type_code}"
            issued.docx.save(f"{name}.docx", ContentFile(docx_bytes), save=False)
            stored.append(str(issued.docx.name))
            issued.pdf.save(f"{name}.pdf", ContentFile(pdf_bytes), save=False)
            stored.append(str(issued.pdf.name))
            issued._history_user = actor  # type: ignore[attr-defined]
            issued.save()
            # Read back through the gate before committing: a document the actor could not
            # see afterwards is not theirs to issue.
            if not IssuedDocument.objects.visible_to(actor).filter(pk=issued.pk).exists():
                raise PermissionDenied(_("Bạn không có quyền ban hành văn bản của cấp ủy này."))
    except BaseException:
        for path in stored:
            default_storage.delete(path)
        raise
    return issued


def _replaceable(actor: User, replaces: IssuedDocument, request: content.Request) -> IssuedDocument:
    """The document to replace, locked: of the same committee and kind, not replaced yet."""
    locked = (
        IssuedDocument.objects.visible_to(actor).select_for_update().filter(pk=replaces.pk).first()
    )
    if locked is None or locked.unit_id != request.unit.pk or locked.kind != request.kind:
        raise ValidationError(
            {"replaces": _("Chỉ thay thế được văn bản cùng loại của cùng cấp ủy.")}
        )
    if IssuedDocument.objects.filter(replaces=locked).exists():
        raise ValidationError(
            {"replaces": _("Văn bản %(reference)s đã có văn bản thay thế.")
             % {"reference": locked.reference}}
        )  # fmt: skip
    return locked
