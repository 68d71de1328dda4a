"""Benchmark: the home page of a district's office on the national data set.

The home (``oversight/home.py``) reads the review queue, the compliance of the month that closes
next, coverage over three months, tasks and failed reminders. Timed as the agenda function and as
the whole page through the Django test client, against the floor of the same run: the sign-in
page, which renders the base template with no tenant data.
"""

from _national import national_data_set
from _setup import machine, setup, timed


def main() -> None:
    setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client

    from accounts.models import Position, User
    from accounts.roles import Role
    from oversight import home
    from oversight.clock import local_today
    from oversight.models import Term, Unit

    national_data_set()
    settings.TWO_FACTOR_REQUIRED = False
    district = Unit.objects.filter(level="district").order_by("code").first()
    assert district is not None
    office, _ = User.objects.get_or_create(username=f"bench.office.{district.code}")
    Position.objects.get_or_create(
        user=office,
        unit=district,
        role=Role.OFFICE_STAFF,
        defaults={"term": Term.objects.current().get(), "start_date": local_today()},
    )
    today = local_today()
    client = Client()
    client.force_login(office)
    anonymous = Client()

    def fresh_office() -> User:
        return User.objects.get(pk=office.pk)

    agenda_ms = timed(lambda: home.office_agenda(fresh_office(), today), runs=5)
    page_ms = timed(lambda: client.get("/"), runs=5)
    floor_ms = timed(lambda: anonymous.get("/login/"), runs=5)
    settings.DEBUG = True
    reset_queries()
    client.get("/")
    queries = len(connection.queries)
    settings.DEBUG = False
    cells = Unit.objects.subtree_of(district).filter(level="cell").count()
    print(f"machine: {machine()}; PostgreSQL; district {district.code} ({cells:,} cells)")
    print(
        f"office agenda {agenda_ms:.0f} ms; home page {page_ms:.0f} ms ({queries} queries); "
        f"floor (sign-in page) {floor_ms:.0f} ms; page/floor {page_ms / floor_ms:.1f}x"
    )


if __name__ == "__main__":
    main()
