"""The demo province, with its real story: old Tuyên Quang (the 2020 article's province) and old
Hà Giang in the 2020–2025 term, the reorganisation of 1 July 2025 that merged them into a new
Tuyên Quang of 124 communes without districts (applied through the same plan as a person would
upload), and the 2025–2030 term of the new province.

Everything here is deterministic (fixed seeds, stable usernames), so loading it twice
changes nothing: units go through the idempotent importer (until the reorganisation), people
and positions are matched by username and by (person, unit, role, term).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Position, User
from accounts.roles import Role
from oversight.clock import local_today
from oversight.importing import ImportReport, UnitRow, import_units, read_unit_file
from oversight.models import Level, PlanStatus, ReorganisationPlan, Term, Unit
from oversight.text import search_key

SEEDS = Path(settings.BASE_DIR) / "seeds"
OLD_TREE_FILE = SEEDS / "tuyen-quang-ha-giang-3-level.csv"
NEW_TREE_FILE = SEEDS / "tuyen-quang-2-level.csv"
CROSSWALK_FILE = SEEDS / "tuyen-quang-reform-2025.csv"
PROVINCE_CODE = "P08"
HA_GIANG_CODE = "P02"
OLD_TERM, NEW_TERM = "2020–2025", "2025–2030"
REFORM_DAY = datetime.date(2025, 7, 1)
REFORM_BASIS = ("1684/NQ-UBTVQH15", datetime.date(2025, 6, 16))
# New communes with people of their own in the new term: those named after an old district
# (its secretary, office and member carry on there), and a sample of the others.
NAMED_NEW_COMMUNES = ("C02266", "C02221", "C02215")  # Lâm Bình, Nà Hang, Phường Minh Xuân
# The demo's one password, printed by seed_demo and the README: not a secret (bandit's B105).
DEMO_PASSWORD = "demo-2025-TQ"  # nosec B105
ADMIN_USERNAME = "admin"

VILLAGES = [
    "Làng Ải", "Nà Mô", "Khuôn Phầy", "Bản Tát", "Nà Héc", "Làng Chẩu", "Đồng Bừa",
    "Nà Khà", "Khuổi Lừa", "Bản Pài", "Pác Cáp", "Nà Hu", "Tân Lập", "Tân Tiến",
    "Đồng Tâm", "Hợp Thành", "Làng Mới", "Bó Củng", "Nà Coóc", "Khau Làng", "Phiêng Tạ",
    "Nà Lừa", "Đồng Mán", "Làng Nhà", "Cốc Phát", "Khuôn Khoai", "Nà Pồng", "Bản Khiển",
]  # fmt: skip
FAMILY_NAMES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Ma", "Nông", "Hà", "Triệu", "Lý", "Quan",
    "Đỗ", "Vũ", "Bùi", "Lương",
]  # fmt: skip
MIDDLE_NAMES = ["Văn", "Thị", "Đức", "Minh", "Thanh", "Hồng", "Quang", "Ngọc", "Xuân", "Thế"]
GIVEN_NAMES = [
    "An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Hạnh", "Hiền", "Hùng", "Hương", "Khánh",
    "Lan", "Linh", "Long", "Mai", "Nam", "Phong", "Sơn", "Thắng", "Thảo", "Trung", "Tuấn",
    "Vân", "Yến", "Chiến", "Định", "Huyền", "Lâm", "Nghĩa", "Quyết",
]  # fmt: skip


@dataclass(frozen=True)
class DemoPerson:
    username: str
    unit_code: str
    role: str
    title: str
    also: tuple[tuple[str, str, str], ...] = ()  # further (unit code, role, title)


@dataclass
class DemoReport:
    units: ImportReport
    people_created: int
    positions_created: int
    logins: list[tuple[str, str, str]]  # (role label, username, unit name)


def cell_rows(communes: list[UnitRow]) -> list[UnitRow]:
    """Plausible party cells (4 to 12) under each commune, the same on every run."""
    rows = []
    for commune in communes:
        rng = random.Random(commune.code)
        urban = commune.division_type in ("phường", "thị trấn")
        count = rng.randint(3, 5)
        villages = rng.sample(VILLAGES, k=min(count, len(VILLAGES)))
        for index in range(1, count + 1):
            if urban:
                name = f"Chi bộ tổ dân phố số {index}"
            elif index == count:
                name = f"Chi bộ Trường Tiểu học {commune.name.removeprefix('Xã ')}"
            else:
                name = f"Chi bộ thôn {villages[index - 1]}"
            rows.append(
                UnitRow(
                    number=0,
                    code=f"{commune.code}-{index:02d}",
                    name=name,
                    level=Level.CELL,
                    division_type="chi bộ",
                    parent_code=commune.code,
                )
            )
    return rows


UNIT_TYPE_PREFIXES = ("thanh pho ", "thi xa ", "thi tran ", "huyen ", "phuong ", "xa ")


def _slug(unit: UnitRow | Unit) -> str:
    """A login-friendly name: "Huyện Lâm Bình" → "lambinh"."""
    key = search_key(unit.name)
    for prefix in UNIT_TYPE_PREFIXES:
        key = key.removeprefix(prefix)
    return key.replace(" ", "").replace("-", "")


def _province_people() -> list[DemoPerson]:
    """The provincial committee of Tuyên Quang: the same people in both terms of the demo."""
    province = PROVINCE_CODE
    people = [
        DemoPerson("tinh.bithu", province, Role.SECRETARY, "Bí thư Tỉnh ủy"),
        DemoPerson("tinh.phobithu1", province, Role.DEPUTY_SECRETARY, "Phó Bí thư Thường trực"),
        DemoPerson("tinh.phobithu2", province, Role.DEPUTY_SECRETARY, "Phó Bí thư, Chủ tịch UBND"),
        DemoPerson("tinh.phobithu3", province, Role.DEPUTY_SECRETARY, "Phó Bí thư, Chủ tịch HĐND"),
    ]
    people += [
        DemoPerson(f"tinh.btv{n:02d}", province, Role.STANDING_MEMBER, "Ủy viên Ban Thường vụ")
        for n in range(1, 10)
    ]
    people += [
        DemoPerson(f"tinh.uv{n:02d}", province, Role.EXECUTIVE_MEMBER, "Tỉnh ủy viên")
        for n in range(1, 9)
    ]
    people += [
        DemoPerson(f"tinh.vanphong{n}", province, Role.OFFICE_STAFF, "Chuyên viên Văn phòng")
        for n in range(1, 4)
    ]
    return people


def old_term_people(units: list[UnitRow]) -> list[DemoPerson]:
    """Who worked where in 2020–2025: the provincial committee, old Hà Giang's secretary and
    office, and the committees of old Tuyên Quang's seven districts."""
    districts = [u for u in units if u.level == Level.DISTRICT and u.parent_code == PROVINCE_CODE]
    people = _province_people()
    people += [
        DemoPerson("hagiang.bithu", HA_GIANG_CODE, Role.SECRETARY, "Bí thư Tỉnh ủy Hà Giang"),
        DemoPerson("hagiang.vanphong", HA_GIANG_CODE, Role.OFFICE_STAFF, "Văn phòng Tỉnh ủy"),
    ]
    for index, district in enumerate(districts):
        slug = _slug(district)
        # District secretaries sit on the provincial committee too: two tenants to switch.
        also = ((PROVINCE_CODE, Role.EXECUTIVE_MEMBER, "Tỉnh ủy viên"),) if index < 2 else ()
        people.append(
            DemoPerson(f"{slug}.bithu", district.code, Role.SECRETARY, "Bí thư", also=also)
        )
        people.append(
            DemoPerson(f"{slug}.vanphong", district.code, Role.OFFICE_STAFF, "Văn phòng cấp ủy")
        )
        people.append(
            DemoPerson(f"{slug}.uv", district.code, Role.EXECUTIVE_MEMBER, "Huyện ủy viên")
        )
    return people


def new_term_people(communes: list[Unit]) -> list[DemoPerson]:
    """Who works where since the 2025–2030 congresses: the provincial committee and the
    committees of some new communes (a commune named after an old district is led by that
    district's former committee: the same usernames), each with a cell secretary."""
    people = _province_people()
    chosen = [c for c in communes if c.code in NAMED_NEW_COMMUNES]
    chosen += [c for c in communes[::12] if c.code not in NAMED_NEW_COMMUNES]
    first_cells: dict[int, str] = {}
    for parent_id, code in (
        Unit.objects.filter(parent__in=chosen, level=Level.CELL)
        .order_by("code")
        .values_list("parent_id", "code")
    ):
        first_cells.setdefault(parent_id, code)
    for commune in chosen:
        slug = _slug(commune)
        first_cell = first_cells.get(commune.pk)
        people.append(DemoPerson(f"{slug}.bithu", commune.code, Role.SECRETARY, "Bí thư Đảng ủy"))
        people.append(
            DemoPerson(f"{slug}.vanphong", commune.code, Role.OFFICE_STAFF, "Văn phòng Đảng ủy")
        )
        people.append(DemoPerson(f"{slug}.uv", commune.code, Role.EXECUTIVE_MEMBER, "Đảng ủy viên"))
        if first_cell is not None:
            people.append(
                DemoPerson(f"{slug}.chibo", first_cell, Role.CELL_SECRETARY, "Bí thư chi bộ")
            )
    return people


def _full_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


def _seat(
    people: list[DemoPerson], units: dict[str, Unit], term: Term, logins: dict[str, Any]
) -> tuple[int, int]:
    """Create the people (once) and their positions in ``term``; a position at the province
    in the old term ends with the term, the others end when the reorganisation says."""
    people_created = positions_created = 0
    # The demo's one published password, hashed once: a hundred slow hashes of the same text
    # would take most of a minute of `make run`.
    password = make_password(DEMO_PASSWORD)
    for person in people:
        rng = random.Random(person.username)
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "full_name": _full_name(rng),
                "email": f"{person.username}@example.vn",
                "password": password,
            },
        )
        people_created += created
        for unit_code, role, title in ((person.unit_code, person.role, person.title), *person.also):
            unit = units[unit_code]
            ends = term.end_date if term.end_date < local_today() else None
            _position, created = Position.objects.get_or_create(
                user=user,
                unit=unit,
                role=role,
                term=term,
                defaults={"title": title, "start_date": term.start_date, "end_date": ends},
            )
            positions_created += created
        unit = units[person.unit_code]
        label = f"{Role(person.role).label} ({Level(unit.level).label}, {term.name})"
        logins.setdefault(label, (label, person.username, unit.name))
    return people_created, positions_created


def demo_reorganised() -> bool:
    return ReorganisationPlan.objects.filter(
        basis_number=REFORM_BASIS[0], status=PlanStatus.APPLIED
    ).exists()


@transaction.atomic
def load_demo() -> DemoReport:
    """Load (or confirm) the old tree of Tuyên Quang and Hà Giang with their cells, the
    2020–2025 term's people and an administrator. Once the reorganisation has been applied the
    old tree is history and is not imported again."""
    file_rows = read_unit_file(OLD_TREE_FILE)
    if demo_reorganised():
        units_report = ImportReport(unchanged=1)
    else:
        communes = [row for row in file_rows if row.level == Level.COMMUNE]
        units_report = import_units(file_rows + cell_rows(communes))
    old_term = Term.objects.get(name=OLD_TERM)
    day = old_term.start_date
    units = {
        u.code: u for u in Unit.objects.existing_on(day).filter(level__in=["province", "district"])
    }
    logins: dict[str, tuple[str, str, str]] = {}
    people_created, positions_created = _seat(old_term_people(file_rows), units, old_term, logins)
    admin, created = User.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"full_name": "Quản trị hệ thống", "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
        people_created += 1
    logins["admin"] = ("Quản trị viên (Administrator)", ADMIN_USERNAME, "—")
    return DemoReport(units_report, people_created, positions_created, list(logins.values()))


def apply_demo_reform() -> dict[str, int]:
    """The reorganisation of 1 July 2025, through the plan machinery as the administrator would
    apply it from the page (a dry run, then the confirmation); nothing the second time."""
    from oversight.reform import services

    if demo_reorganised():
        return {}
    admin = User.objects.get(username=ADMIN_USERNAME)
    files = services.PlanFiles(
        NEW_TREE_FILE.name,
        NEW_TREE_FILE.read_text(encoding="utf-8"),
        CROSSWALK_FILE.name,
        CROSSWALK_FILE.read_text(encoding="utf-8"),
    )
    plan = services.do_create_plan(admin, files, REFORM_DAY, *REFORM_BASIS)
    return services.do_apply_plan(admin, plan)


@transaction.atomic
def load_new_term() -> DemoReport:
    """The 2025–2030 term of new Tuyên Quang: the provincial committee and some communes."""
    term = Term.objects.get(name=NEW_TERM)
    province = Unit.objects.get(code=PROVINCE_CODE)
    communes = list(province.children.active().filter(level=Level.COMMUNE).order_by("code"))
    units = {u.code: u for u in Unit.objects.subtree_of(province).active()}
    logins: dict[str, tuple[str, str, str]] = {}
    people_created, positions_created = _seat(new_term_people(communes), units, term, logins)
    return DemoReport(ImportReport(), people_created, positions_created, list(logins.values()))
