import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.models import Position, User
from accounts.roles import Role
from assignments.models import Assignment, AssignmentKind
from oversight.models import Level, Term, Unit


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.LazyAttribute(lambda unit: f"Đơn vị {unit.code}")
    level = Level.PROVINCE
    division_type = ""
    parent = None


def current_term() -> Term:
    return Term.objects.get(name="2025–2030")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.vn")
    password = factory.django.Password("secret-pass-123")


class PositionFactory(DjangoModelFactory):
    class Meta:
        model = Position

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Role.SECRETARY
    term = factory.LazyFunction(current_term)
    start_date = factory.LazyAttribute(lambda position: position.term.start_date)
    end_date: datetime.date | None = None


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = Assignment

    member = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    term = factory.LazyFunction(current_term)
    kind = AssignmentKind.IN_CHARGE
    start_date = factory.LazyAttribute(lambda assignment: assignment.term.start_date)
