"""Sessions in the cache with the database behind them, surviving a cache outage.

Django's ``cached_db`` store already keeps every session in the database and logs a write to
the cache that fails; but reading a session the cache could not give and asking whether a new
key is taken still raise when Redis is down, so every page would fail with it. Here they fall
back to the database alone, as the person's access does (``accounts.access``): with Redis down
the portal is slower, not gone, for those signed in. Signing in and out still fail then (they
delete a session): one deleted from the database alone could come back from the cache.
"""

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            return super().load()
        except Exception:  # the cache refused keeping a session read from the database
            logger.warning("sessions: the cache is unreachable, read from the database")
            stored = self._get_session_from_db()  # type: ignore[attr-defined]
            return self.decode(stored.session_data) if stored else {}

    def exists(self, session_key: str) -> bool:
        try:
            return super().exists(session_key)
        except Exception:
            return self.model.objects.filter(session_key=session_key).exists()
