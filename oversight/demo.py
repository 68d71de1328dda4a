"""The demo province: Tuyên Quang as in the 2020 article, with cells and people.

Everything here is deterministic (fixed seeds, stable usernames), so loading it twice
changes nothing: units go through the idempotent importer, people and positions are
matched by username and by (person, unit, role, term).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import Position, User
from accounts.roles import Role
from oversight.importing import ImportReport, UnitRow, import_units, read_unit_file
from oversight.models import Level, Term, Unit
from oversight.text import search_key

SEED_FILE = Path(settings.BASE_DIR) / "seeds" / "tuyen-quang-3-level.csv"
PROVINCE_CODE = "P08"
DEMO_TERM = "2025–2030"
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
        # The official list types every commune "xã"; the name tells a ward or town apart.
        urban = commune.name.startswith(("Phường", "Thị trấn"))
        count = rng.randint(4, 12)
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


def _slug(unit: UnitRow) -> str:
    """A login-friendly name: "Huyện Lâm Bình" → "lambinh"."""
    key = search_key(unit.name)
    for prefix in UNIT_TYPE_PREFIXES:
        key = key.removeprefix(prefix)
    return key.replace(" ", "").replace("-", "")


def demo_people(units: list[UnitRow]) -> list[DemoPerson]:
    """Who works where in the demo: about 60 people at every level."""
    districts = [u for u in units if u.level == Level.DISTRICT]
    communes = [u for u in units if u.level == Level.COMMUNE]
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
    for index, district in enumerate(districts):
        slug = _slug(district)
        # District secretaries sit on the provincial committee too: two tenants to switch.
        also = ((province, Role.EXECUTIVE_MEMBER, "Tỉnh ủy viên"),) if index < 2 else ()
        people.append(
            DemoPerson(f"{slug}.bithu", district.code, Role.SECRETARY, "Bí thư", also=also)
        )
        people.append(
            DemoPerson(f"{slug}.vanphong", district.code, Role.OFFICE_STAFF, "Văn phòng cấp ủy")
        )
        people.append(
            DemoPerson(f"{slug}.uv", district.code, Role.EXECUTIVE_MEMBER, "Huyện ủy viên")
        )
    for commune in communes[::23]:
        slug = _slug(commune)
        people.append(DemoPerson(f"{slug}.bithu", commune.code, Role.SECRETARY, "Bí thư Đảng ủy"))
        people.append(
            DemoPerson(f"{slug}.vanphong", commune.code, Role.OFFICE_STAFF, "Văn phòng Đảng ủy")
        )
        people.append(
            DemoPerson(f"{slug}.chibo", f"{commune.code}-01", Role.CELL_SECRETARY, "Bí thư chi bộ")
        )
    return people


def _full_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


@transaction.atomic
def load_demo() -> DemoReport:
    """Load (or confirm) the demo province, its cells, its people and an administrator."""
    file_rows = read_unit_file(SEED_FILE)
    communes = [row for row in file_rows if row.level == Level.COMMUNE]
    units_report = import_units(file_rows + cell_rows(communes))
    term = Term.objects.get(name=DEMO_TERM)
    units = {unit.code: unit for unit in Unit.objects.subtree_of(Unit.objects.get(code="P08"))}

    people_created = positions_created = 0
    logins: dict[str, tuple[str, str, str]] = {}
    for person in demo_people(file_rows):
        rng = random.Random(person.username)
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={"full_name": _full_name(rng), "email": f"{person.username}@example.vn"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            people_created += 1
        for unit_code, role, title in ((person.unit_code, person.role, person.title), *person.also):
            _position, created = Position.objects.get_or_create(
                user=user,
                unit=units[unit_code],
                role=role,
                term=term,
                defaults={"title": title, "start_date": term.start_date},
            )
            positions_created += created
        label = f"{Role(person.role).label} ({Level(units[person.unit_code].level).label})"
        logins.setdefault(label, (label, person.username, units[person.unit_code].name))

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
