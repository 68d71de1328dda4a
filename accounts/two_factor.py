"""Two-factor authentication with time-based codes (TOTP, django-otp): required for
administrators and office staff, who can see and change a whole subtree; optional for members.

Whether a signed-in session still owes a second factor is decided once, at sign-in, and kept in
the session (``SESSION_STATE``), so that pages pay no query for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role

if TYPE_CHECKING:
    from accounts.models import User

SESSION_STATE = "two_factor"
#: the session must enter a code from its device / must set a device up / owes nothing
VERIFY, SET_UP, NONE = "verify", "set_up", "none"


def requires_two_factor(user: User) -> bool:
    """Administrators and office staff must use a second factor (unless the installation has
    turned the requirement off with ``TWO_FACTOR_REQUIRED``; the test suite does, outside the
    tests of this rule)."""
    if not settings.TWO_FACTOR_REQUIRED:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return any(position.role == Role.OFFICE_STAFF for position in user.current_positions())


def has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def state_at_sign_in(user: User) -> str:
    if has_device(user):
        return VERIFY
    return SET_UP if requires_two_factor(user) else NONE


def session_state(session: SessionBase, user: User) -> str:
    """What the session still owes; computed once and kept."""
    state = session.get(SESSION_STATE)
    if state is None:
        state = session[SESSION_STATE] = state_at_sign_in(user)
    return str(state)


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up (a new secret each time one is started)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Điện thoại", confirmed=False)


@transaction.atomic
def do_confirm_device(user: User, device: TOTPDevice, code: str) -> bool:
    """Confirm a new device with a code it shows; any other device of the person is removed
    (one phone at a time, so that a lost phone is replaced, not kept)."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(code.strip()):
        return False
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def matching_device(user: User, code: str) -> TOTPDevice | None:
    """The person's device that accepts ``code`` (each code is accepted once)."""
    device = match_token(user, code.strip())
    return device if isinstance(device, TOTPDevice) else None
