from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Speak Vietnamese unless the person chose English with the language switch.

    Phones in Vietnam often report English in Accept-Language; the portal ignores it and
    follows only the explicit choice stored in the language cookie.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RefuseNulCharactersMiddleware:
    """A NUL character cannot be stored in, or looked up against, PostgreSQL text: a request that
    carries one in its query string or its form or JSON body is bad input (400), refused here for
    every page and API endpoint before any view can pass it to the database. Uploaded files are
    left alone (a photo holds NUL bytes)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._carries_nul(request):
            message = _("Dữ liệu chứa ký tự NUL.")
            if request.path.startswith("/api/"):
                body = {"detail": message, "errors": {"non_field_errors": [message]}}
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request: HttpRequest) -> bool:
        if "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            return True
        if request.method == "POST" and any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.POST.lists()
        ):
            return True
        content_type = request.content_type or ""
        if content_type.startswith("multipart/") or request.method in ("GET", "HEAD"):
            return False
        body = request.body
        return b"\x00" in body or b"\\u0000" in body
