from django.db import migrations


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    # A short task every few minutes that finds what is due, rather than anything scheduled far
    # ahead (Redis redelivers long countdowns past its visibility timeout).
    PeriodicTask.objects.get_or_create(
        name="Nhắc việc: lập và gửi",
        defaults={"task": "visits.tasks.plan_reminders", "interval": every_five},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0004_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, migrations.RunPython.noop)]
