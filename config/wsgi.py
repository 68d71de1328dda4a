import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 (configured by the line above)

# The one place every server starts from (gunicorn, runserver): no key, no start. Tools that
# sign nothing (makemigrations, mypy's plugin) load the settings without one.
try:
    settings.SECRET_KEY  # noqa: B018 (Django refuses an empty key when it is read)
except ImproperlyConfigured:
    raise ImproperlyConfigured(
        "SECRET_KEY chưa được đặt: hãy đặt một chuỗi ngẫu nhiên dài trong môi trường. "
        "SECRET_KEY is not set: put a long random string in the environment."
    ) from None
