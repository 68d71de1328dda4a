"""The server's half of working offline on the phone.

The service worker and the web app manifest are served from the site's root (a worker governs
only the paths below its own address); the worker's version is the static files' version, so a
new release replaces it. The outbox in the page (``static/js/outbox.js``) asks the session probe
for a fresh CSRF token before each send (it rotates at sign-in, and a probe that lands on the
login page says the session has expired), and posts the visit form as the browser would, with
``X-Portal-Outbox: 1``: the answer is then JSON that names the visit's client id, and a replay
follows ODK Central's rule: the same content answers 200 with the visit it made, other content
409 with the fields that differ.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from assignments.models import Assignment
from oversight.clock import local_today
from oversight.http import PortalRequest
from visits.models import Meeting, Visit

if TYPE_CHECKING:
    from visits.forms import VisitForm

OUTBOX_HEADER = "X-Portal-Outbox"
# What a page needs before it can show anything offline: styles, scripts, the icons. Other
# static files (htmx) are kept by the worker the first time a page loads them.
SHELL = [
    "bootstrap/css/bootstrap.min.css",
    "bootstrap/js/bootstrap.bundle.min.js",
    "css/portal.css",
    "js/draft.js",
    "js/outbox.js",
    "favicon.svg",
    "icons/portal-192.png",
    "icons/portal-512.png",
]


def static_version() -> str:
    """The release as the browser sees it: the static files' manifest when collected (its hash
    changes with any file), else the content of the shell files themselves."""
    manifest_hash = getattr(staticfiles_storage, "manifest_hash", "")
    if manifest_hash:
        return str(manifest_hash)
    digest = hashlib.sha256()
    for name in SHELL:
        path = finders.find(name)
        if isinstance(path, str):
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: never cached by the browser, so a new release is seen at once."""
    shell = [static(name) for name in SHELL]
    context = {"version": static_version(), "shell": json.dumps(shell)}
    response = render(request, "offline/sw.js", context, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


def web_manifest(request: HttpRequest) -> JsonResponse:
    """What a phone needs to put the portal on its home screen."""
    manifest = {
        "name": _("Cổng theo dõi cơ sở"),
        "short_name": _("Theo dõi cơ sở"),
        "lang": "vi",
        "start_url": reverse("my-work"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b02a37",
        "icons": [
            {"src": static("icons/portal-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/portal-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/portal-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@never_cache
@login_required
def session_probe(request: PortalRequest) -> JsonResponse:
    """The outbox's question before sending: still signed in? and the CSRF token to send with."""
    return JsonResponse({"csrf": get_token(request)})


@never_cache
@login_required
def offline_pages(request: PortalRequest) -> JsonResponse:
    """The member's own pages to keep for offline use: "Việc của tôi", and this month's
    meetings in their areas with the form to log each."""
    user = request.user
    today = local_today()
    areas = [
        a.unit for a in Assignment.objects.filter(member=user).open_on(today).select_related("unit")
    ]
    meetings = Meeting.objects.in_month(today).within(*areas).values_list("pk", flat=True)
    urls = [reverse("my-work"), f"{reverse('visit-create')}?kind=field"]
    for pk in meetings:
        urls += [reverse("meeting-detail", args=[pk]), f"{reverse('visit-create')}?meeting={pk}"]
    return JsonResponse({"urls": urls, "at": timezone.now().isoformat()})


def wants_outbox_reply(request: HttpRequest) -> bool:
    return request.headers.get(OUTBOX_HEADER) == "1"


def saved(visit: Visit, status: int) -> JsonResponse:
    """The outbox's receipt: the client id it sent, and where the visit is."""
    return JsonResponse(
        {
            "client_id": str(visit.client_token),
            "visit": visit.pk,
            "url": reverse("visit-detail", args=[visit.pk]),
            "status": visit.status,
        },
        status=status,
    )


def refused(client_id: str, message: str, errors: dict[str, Any], status: int) -> JsonResponse:
    """A refusal the member must read: the reasons, by field."""
    return JsonResponse(
        {"client_id": client_id, "message": message, "errors": errors}, status=status
    )


def replay_differences(form: VisitForm, existing: Visit) -> list[str]:
    """The labels of the fields in which a replayed form differs from the visit its client id
    already made (empty: the same content), by the model's rule (``Visit.replay_differences``)."""
    if not form.is_valid():
        return [str(form.fields[n].label) if n in form.fields else n for n in form.errors]
    values = {
        name: value for name, value in form.cleaned_data.items() if not name.startswith("score_")
    }
    values["score_points"] = form.instance.score_points  # the score fields, as applied
    labels = {name: str(field.label) for name, field in form.fields.items()}
    labels["score_points"] = _("điểm chấm")
    return [labels[name] for name in existing.replay_differences(values)]
