from django.db import migrations


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    new_year, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="0",
        day_of_month="1",
        month_of_year="1",
        day_of_week="*",
        timezone="Asia/Ho_Chi_Minh",
    )
    PeriodicTask.objects.get_or_create(
        name="Tổng hợp dự sinh hoạt: thêm năm mới",
        defaults={"task": "visits.tasks.extend_tallies", "crontab": new_year},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task="visits.tasks.extend_tallies"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0012_attendance_tally"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
