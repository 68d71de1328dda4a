"""Documented defaults: the attendance policy, the meeting score sheet, the planning schedule."""

from django.db import migrations

# One cell meeting per quarter in each assigned unit for a provincial committee member; one a
# month for district and commune committee members (the article's "tỉnh sát xã, huyện sát thôn").
POLICIES = [
    ("province", "", "quarter", 1, "Tỉnh ủy viên: mỗi quý ít nhất 1 buổi ở mỗi địa bàn phụ trách"),
    ("district", "", "month", 1, "Huyện ủy viên: mỗi tháng ít nhất 1 buổi"),
    ("commune", "", "month", 1, "Đảng ủy viên xã: mỗi tháng ít nhất 1 buổi"),
]

# Hướng dẫn 12-HD/BTCTW (2018), as provinces score it: 100 points; Tốt needs 90 or more and
# full marks on attendance, duration, members speaking and minutes.
CRITERIA = [
    ("attendance", "Đảng viên dự đạt trên 85%, không vắng mặt không lý do", 15, True),
    ("preparation", "Chi ủy chuẩn bị nội dung, dự thảo nghị quyết trước khi họp", 15, False),
    ("order", "Đúng giờ, đúng trình tự, nội dung thiết thực", 10, False),
    ("duration", "Thời gian sinh hoạt từ 90 phút trở lên", 10, True),
    ("speaking", "Đảng viên phát biểu, thảo luận, đóng góp ý kiến", 15, True),
    ("principles", "Giữ nguyên tắc tập trung dân chủ, tự phê bình và phê bình", 15, False),
    ("follow_through", "Kiểm điểm việc thực hiện nghị quyết kỳ trước", 10, False),
    ("minutes", "Biên bản ghi đầy đủ, nghị quyết được thông qua", 10, True),
]


def create_defaults(apps, schema_editor):
    AttendancePolicy = apps.get_model("visits", "AttendancePolicy")
    ScoreSheet = apps.get_model("visits", "ScoreSheet")
    Criterion = apps.get_model("visits", "Criterion")
    for level, role, period, required, note in POLICIES:
        AttendancePolicy.objects.get_or_create(
            level=level,
            role=role,
            defaults={"period": period, "required_meetings": required, "note": note},
        )
    sheet, created = ScoreSheet.objects.get_or_create(
        province=None,
        defaults={"name": "Bảng chấm điểm sinh hoạt chi bộ thường kỳ (theo HD 12-HD/BTCTW)"},
    )
    if created:
        for order, (code, name, points, must_be_full) in enumerate(CRITERIA):
            Criterion.objects.create(
                sheet=sheet,
                code=code,
                name=name,
                max_points=points,
                must_be_full=must_be_full,
                order=order,
            )


def create_planning_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="1", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Asia/Ho_Chi_Minh",
    )  # fmt: skip
    PeriodicTask.objects.get_or_create(
        name="Lập lịch sinh hoạt chi bộ tháng này và tháng sau",
        defaults={"task": "visits.tasks.plan_meetings", "crontab": crontab},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(create_planning_schedule, migrations.RunPython.noop),
    ]
