"""The writes on people and positions, each checked against the acting person's scope.

An office manages the people who hold positions in its subtree: it adds a person together with
their first position, appoints people it can see to further positions, ends positions and keeps
contact details up to date. Where it may act is always ``visible_to(actor)``.
"""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import CalendarFeed, Position, User
from accounts.rights import may, may_somewhere, require
from oversight.clock import local_today
from oversight.models import Term, Unit

PERSON_DETAILS = ("full_name", "email", "staff_number", "phone")


def _check_may_manage(actor: User, permission: str, unit: Unit | None = None) -> None:
    """The right to manage people, held somewhere, and at ``unit`` when one is given."""
    if not may_somewhere(actor, permission):
        raise PermissionDenied(_("Bạn không có quyền quản lý cán bộ."))
    if unit is not None:
        require(
            actor, permission, unit, _("Quyền quản lý cán bộ của bạn không bao gồm đơn vị này.")
        )


def _unit_in_scope(actor: User, unit: Unit) -> None:
    if not unit.is_visible_to(actor):
        raise ValidationError({"unit": _("Đơn vị này nằm ngoài phạm vi của bạn.")})


def person_in_scope(actor: User, person: User) -> bool:
    """Whether ``person`` holds (or held) a position inside ``actor``'s scope."""
    return Position.objects.visible_to(actor).filter(user=person).exists()


def may_correct(actor: User, person: User) -> bool:
    """Whether ``actor`` may change ``person``'s details: only when every position ``person``
    holds now lies where ``actor``'s right to change positions holds. Otherwise a commune
    office could change the email of a provincial leader who also sits in the commune, and take
    over the account by a password reset."""
    if actor.is_superuser:
        return True
    if person.is_superuser or person.is_staff:
        return False
    held = Position.objects.current().filter(user=person).select_related("unit")
    return all(may(actor, "accounts.change_position", position) for position in held)


def _set_details(person: User, details: dict[str, str]) -> None:
    """Put the given contact details on ``person``, trimmed; an empty staff number is none (it
    is unique when given)."""
    unknown = set(details) - set(PERSON_DETAILS)
    if unknown:
        raise ValidationError({name: _("Trường không được phép.") for name in unknown})
    for name, value in details.items():
        setattr(person, name, (value or "").strip())
    person.staff_number = person.staff_number or None


def _new_position(
    actor: User,
    person: User,
    unit: Unit,
    role: str,
    title: str,
    start_date: datetime.date | None,
) -> Position:
    start_date = start_date or local_today()
    term = Term.objects.current(start_date).first()
    if term is None:
        raise ValidationError({"start_date": _("Không có nhiệm kỳ nào chứa ngày bắt đầu.")})
    position = Position(
        user=person, unit=unit, role=role, term=term, title=title.strip(), start_date=start_date
    )
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def do_add_person(
    actor: User,
    *,
    username: str,
    unit: Unit,
    role: str,
    title: str = "",
    start_date: datetime.date | None = None,
    **details: str,
) -> Position:
    """A new person with their first position in ``actor``'s scope; they sign in once an
    administrator or the password-reset mail gives them a password."""
    _check_may_manage(actor, "accounts.add_position")
    _unit_in_scope(actor, unit)
    _check_may_manage(actor, "accounts.add_position", unit)
    person = User(username=username.strip())
    _set_details(person, details)
    person.set_unusable_password()
    person.full_clean(exclude=["password"])
    person.save()
    return _new_position(actor, person, unit, role, title, start_date)


@transaction.atomic
def do_appoint(
    actor: User,
    person: User,
    unit: Unit,
    role: str,
    *,
    title: str = "",
    start_date: datetime.date | None = None,
) -> Position:
    """Appoint someone already in ``actor``'s scope to a further position in it."""
    _check_may_manage(actor, "accounts.add_position")
    _unit_in_scope(actor, unit)
    _check_may_manage(actor, "accounts.add_position", unit)
    if not person_in_scope(actor, person):
        raise ValidationError({"user": _("Người này không giữ chức vụ nào trong phạm vi của bạn.")})
    return _new_position(actor, person, unit, role, title, start_date)


@transaction.atomic
def do_end_position(actor: User, position: Position, on: datetime.date | None = None) -> Position:
    """End a position on ``on`` (today by default); it stays in the history."""
    _check_may_manage(actor, "accounts.change_position")
    try:
        position = Position.objects.visible_to(actor).select_for_update().get(pk=position.pk)
    except Position.DoesNotExist:
        raise PermissionDenied(_("Chức vụ nằm ngoài phạm vi của bạn.")) from None
    _check_may_manage(actor, "accounts.change_position", position.unit)
    position.end_date = on or local_today()
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def do_update_person(actor: User, person: User, **details: str) -> User:
    """Correct a person's name, email, staff number or phone; their username stays."""
    _check_may_manage(actor, "accounts.change_position")
    if not person_in_scope(actor, person):
        raise PermissionDenied(_("Người này nằm ngoài phạm vi của bạn."))
    if not may_correct(actor, person):
        raise PermissionDenied(
            _("Người này còn giữ chức vụ ngoài phạm vi của bạn; cấp trên sửa thông tin của họ.")
        )
    _set_details(person, details)
    person.full_clean(exclude=["password"])
    person.save(update_fields=list(details))
    return person


@transaction.atomic
def do_renew_calendar_feed(person: User) -> CalendarFeed:
    """Give ``person`` a new secret calendar address; the previous one answers 404 from now."""
    feed, _created = CalendarFeed.objects.update_or_create(
        user=person, defaults={"token": secrets.token_urlsafe(32)}
    )
    return feed
