"""The portal's calendar: what "today" is, for every rule and page.

Offices work in Asia/Ho_Chi_Minh (``TIME_ZONE``), seven hours ahead of UTC: at 18:30 UTC on
31 December it is already 1 January in the portal. Every rule that means "today" asks here,
never the server's own (UTC) date, so that the whole portal turns the day at local midnight.
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def local_today() -> datetime.date:
    """Today's date in the portal's time zone."""
    return timezone.localdate()
