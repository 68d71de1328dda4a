"""Roles held through positions, and the Django groups that carry their model permissions.

Model permissions say what kind of thing a role may do; *where* it may do it is always the
unit subtree of the position that holds the role (``accounts.rights.may``), never the whole
table and never the subtree of another position the same person holds. The groups below carry
the permissions for Django's own checks (the admin's menus); every write asks ``may``.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SECRETARY = "secretary", _("Bí thư")
    DEPUTY_SECRETARY = "deputy_secretary", _("Phó Bí thư")
    STANDING_MEMBER = "standing_member", _("Ủy viên Ban Thường vụ")
    EXECUTIVE_MEMBER = "executive_member", _("Ủy viên Ban Chấp hành")
    OFFICE_STAFF = "office_staff", _("Cán bộ Văn phòng cấp ủy")
    CELL_SECRETARY = "cell_secretary", _("Bí thư chi bộ")


_READ = [
    "oversight.view_unit",
    "oversight.view_term",
    "accounts.view_position",
    "assignments.view_assignment",
    "visits.view_meeting",
    "visits.view_meetingschedule",
    "visits.view_visit",
    "assignments.view_breakthroughtask",
    "reporting.view_issueddocument",
]
_MEMBER = [*_READ, "visits.add_visit", "visits.change_visit"]
_ASSIGNER = [*_MEMBER, "assignments.add_assignment", "assignments.change_assignment"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SECRETARY: _ASSIGNER,
    Role.DEPUTY_SECRETARY: _ASSIGNER,
    Role.STANDING_MEMBER: _MEMBER,
    Role.EXECUTIVE_MEMBER: _MEMBER,
    Role.CELL_SECRETARY: [*_READ, "visits.change_meeting"],
    Role.OFFICE_STAFF: [
        *_ASSIGNER,
        "oversight.add_unit",
        "oversight.change_unit",
        "oversight.view_reorganisationplan",
        "oversight.add_reorganisationplan",
        "accounts.add_position",
        "accounts.change_position",
        "accounts.view_user",
        "accounts.view_audit",
        "visits.review_visit",
        "visits.add_attendancepolicy",
        "visits.log_visit_on_behalf",
        "visits.add_meeting",
        "visits.change_meeting",
        "visits.add_meetingschedule",
        "visits.change_meetingschedule",
        "assignments.add_breakthroughtask",
        "assignments.change_breakthroughtask",
        "assignments.evaluate_task",
        "reporting.add_issueddocument",
    ],
}


def group_name(role: str) -> str:
    """The name of the Django group that carries ``role``'s permissions."""
    return f"role:{role}"


def sync_role_groups(**_kwargs: Any) -> None:
    """Create the role groups and give each exactly the permissions of ``ROLE_PERMISSIONS``."""
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name: dict[str, Permission] = {}
    for perm in Permission.objects.select_related("content_type"):
        name = f"{perm.content_type.app_label}.{perm.codename}"
        if name in wanted:
            by_name[name] = perm
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set([by_name[p] for p in perms if p in by_name])
