import datetime

from django.db import migrations

# Provincial party congresses close one term and open the next around October.
TERMS = [
    ("2015–2020", datetime.date(2015, 10, 1), datetime.date(2020, 9, 30)),
    ("2020–2025", datetime.date(2020, 10, 1), datetime.date(2025, 9, 30)),
    ("2025–2030", datetime.date(2025, 10, 1), datetime.date(2030, 9, 30)),
]


def create_terms(apps, schema_editor):
    Term = apps.get_model("oversight", "Term")
    for name, start, end in TERMS:
        Term.objects.get_or_create(name=name, defaults={"start_date": start, "end_date": end})


class Migration(migrations.Migration):
    dependencies = [("oversight", "0001_initial")]
    operations = [migrations.RunPython(create_terms, migrations.RunPython.noop)]
