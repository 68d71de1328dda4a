"""The guidance changed on 28/10/2025: Hướng dẫn 42-HD/BTCTW renewed the rules of 12-HD/BTCTW
(2018). The default sheet of 12-HD stays, in force until 27/10/2025, so that meetings before
then are scored as they were; a 42-HD sheet is in force from 28/10/2025."""

import datetime

from django.db import migrations

OLD_UNTIL = datetime.date(2025, 10, 27)
NEW_FROM = datetime.date(2025, 10, 28)

# 42-HD/BTCTW: a regular meeting lasts at least 90 minutes, 120 with a thematic topic in the same
# session; the cell tells its members and the higher-level committee member who follows it
# beforehand and sends the documents at least a day ahead. Still 100 points; Tốt needs 90 and
# full marks where marked.
CRITERIA_42 = [
    ("attendance", "Đảng viên dự đạt trên 85%, không vắng mặt không lý do", 15, True),
    ("notice", "Thông báo trước cho đảng viên và cấp ủy viên cấp trên theo dõi; gửi tài liệu "
     "trước ít nhất 1 ngày", 5, True),
    ("preparation", "Chi ủy chuẩn bị nội dung, dự thảo nghị quyết trước khi họp", 10, False),
    ("order", "Đúng giờ, đúng trình tự, nội dung thiết thực", 10, False),
    ("duration", "Thời lượng ít nhất 90 phút; 120 phút khi có sinh hoạt chuyên đề trong cùng "
     "buổi", 10, True),
    ("speaking", "Đảng viên phát biểu, thảo luận, đóng góp ý kiến", 15, True),
    ("principles", "Giữ nguyên tắc tập trung dân chủ, tự phê bình và phê bình", 15, False),
    ("follow_through", "Kiểm điểm việc thực hiện nghị quyết kỳ trước", 10, False),
    ("minutes", "Biên bản ghi đầy đủ, nghị quyết được thông qua", 10, True),
]  # fmt: skip


def split_the_default_sheet(apps, schema_editor):
    ScoreSheet = apps.get_model("visits", "ScoreSheet")
    Criterion = apps.get_model("visits", "Criterion")
    old = ScoreSheet.objects.filter(province=None, valid_from=None).first()
    if old is not None and old.valid_to is None:
        old.valid_to = OLD_UNTIL
        old.basis = "Hướng dẫn 12-HD/BTCTW (2018)"
        old.save(update_fields=["valid_to", "basis"])
    new, created = ScoreSheet.objects.get_or_create(
        province=None,
        valid_from=NEW_FROM,
        defaults={
            "name": "Bảng chấm điểm sinh hoạt chi bộ thường kỳ (theo HD 42-HD/BTCTW)",
            "basis": "Hướng dẫn 42-HD/BTCTW ngày 28/10/2025",
        },
    )
    if created:
        for order, (code, name, points, must_be_full) in enumerate(CRITERIA_42):
            Criterion.objects.create(
                sheet=new, code=code, name=name, max_points=points,
                must_be_full=must_be_full, order=order,
            )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("visits", "0010_rules_by_date")]
    operations = [migrations.RunPython(split_the_default_sheet, migrations.RunPython.noop)]
