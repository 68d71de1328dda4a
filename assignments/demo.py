"""The 2019 breakthrough tasks of the article (25 tasks for 25 cadres, 10 commissioned, 9 of the
10 long-standing cases resolved), and a few of this year's tasks under way. Idempotent."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Position
from accounts.roles import Role
from assignments.models import BreakthroughTask, TaskKind, TaskProgress, TaskResult, TaskStatus
from oversight.clock import local_today
from oversight.models import Unit

COMMISSIONED_2019 = [
    "Giải quyết dứt điểm vụ tranh chấp đất đai kéo dài tại xã Thái Sơn",
    "Hoàn thành tái định cư cho các hộ dân vùng lòng hồ thủy điện Tuyên Quang",
    "Xóa bỏ 98 lò gạch thủ công trên địa bàn tỉnh",
    "Giải quyết khiếu nại về bồi thường giải phóng mặt bằng khu công nghiệp Long Bình An",
    "Giải quyết tranh chấp ranh giới rừng giữa hai xã Lăng Can và Thượng Lâm",
    "Xử lý tồn đọng cấp giấy chứng nhận quyền sử dụng đất tại thành phố Tuyên Quang",
    "Hoàn thành di dời các hộ dân vùng sạt lở tại huyện Na Hang",
    "Giải quyết vụ việc khiếu kiện đông người tại thị trấn Sơn Dương",
    "Thu hồi đất giao sai thẩm quyền tại huyện Yên Sơn",
    "Giải quyết tồn tại về đền bù thủy điện Chiêm Hóa",
]
REGISTERED_2019 = [
    "Xây dựng mô hình chi bộ thôn kiểu mẫu",
    "Nâng tỷ lệ xã đạt chuẩn nông thôn mới",
    "Phát triển vùng cam sành Hàm Yên gắn với tiêu thụ",
    "Cải cách thủ tục hành chính một cửa liên thông",
    "Kết nạp đảng viên ở thôn chưa có đảng viên",
    "Nâng chất lượng sinh hoạt chi bộ thường kỳ",
    "Phát triển du lịch cộng đồng Lâm Bình",
    "Bê tông hóa đường giao thông nông thôn",
    "Trồng rừng gỗ lớn gắn với chứng chỉ FSC",
    "Giảm tỷ lệ hộ nghèo đa chiều",
    "Xây dựng trường học đạt chuẩn quốc gia",
    "Chuyển đổi số trong cơ quan đảng",
    "Thu hút đầu tư vào khu công nghiệp",
    "Nâng cao chỉ số năng lực cạnh tranh cấp tỉnh",
    "Bảo tồn văn hóa dân tộc Tày, Dao",
]


def _cadres(on: datetime.date) -> list[Position]:
    """The committee members above the communes on ``on``, in the tree's order."""
    leading = [Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.STANDING_MEMBER, Role.EXECUTIVE_MEMBER]
    return list(
        Position.objects.current(on)
        .filter(role__in=leading)
        .exclude(unit__level="commune")
        .select_related("user", "unit")
        .order_by("unit__path", "user__username")
    )


@transaction.atomic
def load_demo_tasks() -> int:
    """Create the demo's tasks once; returns how many were created."""
    if BreakthroughTask.objects.filter(year=2019).exists():
        return 0
    # The article's cadres of 2019 are those of the old term (before the reorganisation),
    # this year's those of today.
    cadres = _cadres(datetime.date(2025, 4, 1))
    office = Position.objects.current().filter(role=Role.OFFICE_STAFF, unit__code="P08").first()
    province = Unit.objects.get(code="P08")
    titles = [(t, TaskKind.COMMISSIONED) for t in COMMISSIONED_2019] + [
        (t, TaskKind.REGISTERED) for t in REGISTERED_2019
    ]
    evaluated_at = timezone.make_aware(datetime.datetime(2019, 12, 20, 9, 0))
    created = 0
    for index, ((title, kind), position) in enumerate(zip(titles, cadres, strict=False)):
        if kind == TaskKind.COMMISSIONED:
            result = TaskResult.NOT_COMPLETED if index == 9 else TaskResult.COMPLETED
        else:
            result = TaskResult.COMPLETED_LATE if index % 7 == 0 else TaskResult.COMPLETED
        task = BreakthroughTask.objects.create(
            title=title,
            kind=kind,
            cadre=position.user,
            position=position,
            owner_unit=position.unit,
            year=2019,
            deadline=datetime.date(2019, 11, 30),
            expected_result=f"Sản phẩm: {title.lower()}.",
            status=TaskStatus.NOT_DONE if result == TaskResult.NOT_COMPLETED else TaskStatus.DONE,
            decision_number="15-QĐ/TU",
            decision_date=datetime.date(2019, 1, 10),
            result=result,
            evaluation="Ban Thường vụ đánh giá theo sản phẩm cụ thể.",
            evaluated_by=office.user if office else None,
            evaluated_at=evaluated_at,
        )
        task.units.add(province if position.unit.level == "province" else position.unit)
        TaskProgress.objects.create(
            task=task,
            date=datetime.date(2019, 6, 30),
            percent=60,
            narrative="Đã triển khai kế hoạch, hoàn thành các bước chính.",
            reported_by=position.user,
        )
        created += 1
    today = local_today()
    this_year = today.year
    for position, title in zip(_cadres(today)[:3], REGISTERED_2019[:3], strict=False):
        BreakthroughTask.objects.create(
            title=title,
            kind=TaskKind.REGISTERED,
            cadre=position.user,
            position=position,
            owner_unit=position.unit,
            year=this_year,
            deadline=datetime.date(this_year, 12, 15),
            expected_result=f"Sản phẩm: {title.lower()}.",
            status=TaskStatus.APPROVED,
            decision_number="02-QĐ/TU",
            decision_date=datetime.date(this_year, 1, 15),
        )
        created += 1
    return created
