"""Document pages: fill in, preview, download the draft, issue; the register of documents
issued (sổ văn bản đi) and the issued files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.rights import may
from oversight.forms import attach_errors, unit_in_scope
from oversight.http import PortalRequest, id_from
from oversight.models import Unit
from oversight.paging import read_page
from oversight.reporting.documents import content, layout, pdf, word
from oversight.reporting.documents.forms import DocumentForm
from oversight.reporting.exports import attachment
from oversight.reporting.models import DocumentKind, IssuedDocument
from oversight.reporting.services import ISSUE_RIGHT, do_issue_document
from visits.models import Meeting

PER_PAGE = 50
WRITERS = {"pdf": pdf, "docx": word}


def _draft_name(document: layout.Document) -> str:
    return f"du-thao-{document.issuer.symbol.lower()}-{document.date:%Y%m%d}"


@login_required
def new_document(request: PortalRequest, kind: str, pk: int | None = None) -> HttpResponse:
    """The document form. GET with its fields previews the document (and with ``format``
    downloads the draft, unnumbered); POST issues it (reports only, for those who may)."""
    meeting = None
    unit: Unit | None = None
    if kind == DocumentKind.SCORE_SHEET:
        meeting = get_object_or_404(
            Meeting.objects.visible_to(request.user).select_related("cell__parent"), pk=pk
        )
        unit = content.committee_of(meeting)
    data = request.POST if request.method == "POST" else request.GET
    if not data or (request.method == "GET" and set(data) == {"replaces"}):
        replaces = None
        if data:  # "Ban hành bản thay thế": the form opens as the replaced document was
            replaces = (
                IssuedDocument.objects.visible_to(request.user)
                .filter(pk=id_from(data["replaces"]), kind=kind)
                .select_related("unit")
                .first()
            )
            if replaces is None:
                raise Http404
        initial = DocumentForm.initial_for(request.user, kind, unit, replaces=replaces)
        form = DocumentForm(user=request.user, kind=kind, initial=initial)
        return _form_page(request, kind, form, meeting)
    form = DocumentForm(data, user=request.user, kind=kind)
    if not form.is_valid():
        return _form_page(request, kind, form, meeting, status=400)
    asked, sign_off = form.request_for(meeting), form.sign_off()
    if request.method == "POST":
        return _issue(request, form, asked, sign_off, meeting)
    document = content.build(request.user, asked, sign_off)
    file_format = request.GET.get("format", "")
    if file_format in WRITERS:
        body = WRITERS[file_format].render(document)
        return attachment(body, file_format, _draft_name(document))
    return _form_page(request, kind, form, meeting, document=document, asked=asked)


def _issue(
    request: PortalRequest,
    form: DocumentForm,
    asked: content.Request,
    sign_off: content.SignOff,
    meeting: Meeting | None,
) -> HttpResponse:
    try:
        issued = do_issue_document(
            request.user, asked, sign_off, replaces=form.cleaned_data.get("replaces")
        )
    except ValidationError as error:
        attach_errors(form, error)
        return _form_page(request, asked.kind, form, meeting, status=400)
    messages.success(request, _("Đã ban hành %(reference)s.") % {"reference": issued.reference})
    return redirect("document-detail", pk=issued.pk)


def _form_page(
    request: PortalRequest,
    kind: str,
    form: DocumentForm,
    meeting: Meeting | None,
    *,
    document: layout.Document | None = None,
    asked: content.Request | None = None,
    status: int = 200,
) -> HttpResponse:
    may_issue = (
        kind in DocumentKind.issued()
        and asked is not None
        and may(request.user, ISSUE_RIGHT, asked.unit)
    )
    return render(
        request,
        "documents/new.html",
        {
            "kind": kind,
            "kind_label": DocumentKind(kind).label,
            "form": form,
            "meeting": meeting,
            "document": document,
            "may_issue": may_issue,
            "query": request.GET.urlencode(),
        },
        status=status,
    )


class IssuedFilter(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Loại"),
        choices=[("", gettext_lazy("Tất cả"))]
        + [(k.value, k.label) for k in DocumentKind.issued()],
        required=False,
    )
    year = forms.IntegerField(
        label=gettext_lazy("Năm ban hành"), min_value=2000, max_value=2100, required=False
    )
    unit = forms.CharField(label=gettext_lazy("Cấp ủy (mã)"), max_length=32, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_unit(self) -> Unit | None:
        return unit_in_scope(self.user, self.cleaned_data["unit"])


@login_required
def issued_list(request: PortalRequest) -> HttpResponse:
    """Sổ văn bản đi: the documents issued within the person's scope, newest first."""
    documents = IssuedDocument.objects.visible_to(request.user)
    form = IssuedFilter(request.GET or None, user=request.user)
    status = 200
    if form.is_bound and not form.is_valid():
        status, documents = 400, documents.none()
    elif form.is_bound:
        documents = documents.matching(**form.cleaned_data)
    page = read_page(
        documents.select_related("unit", "issued_by", "replaces", "replaced_by").order_by(
            "-issued_on", "-pk"
        ),
        PER_PAGE,
        request.GET.get("page"),
    )
    return render(
        request,
        "documents/issued_list.html",
        {"form": form, "page": page},
        status=status,
    )


@login_required
def issued_detail(request: PortalRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(
        IssuedDocument.objects.visible_to(request.user).select_related(
            "unit", "issued_by", "term", "replaces"
        ),
        pk=pk,
    )
    replaced_by = IssuedDocument.objects.visible_to(request.user).filter(replaces=document).first()
    return render(
        request,
        "documents/issued_detail.html",
        {
            "document": document,
            "replaced_by": replaced_by,
            "may_replace": replaced_by is None and may(request.user, ISSUE_RIGHT, document.unit),
        },
    )


@login_required
def issued_file(request: PortalRequest, pk: int, file_format: str) -> HttpResponse:
    """An issued file as it went out; refused if its bytes no longer match its checksum."""
    document = get_object_or_404(IssuedDocument.objects.visible_to(request.user), pk=pk)
    try:
        data = document.content(file_format)
    except ValidationError as error:
        return HttpResponse(error.messages[0], status=409, content_type="text/plain; charset=utf-8")
    except FileNotFoundError:
        raise Http404 from None
    name = f"{document.number:02d}-{document.type_code}-{document.symbol}".lower()
    return attachment(data, file_format, name)
