"""The access epoch: one counter, raised by triggers in the transaction of every write to the
rows a person's access is read from (``accounts.access``).

Constraint triggers, deferred to the commit: the counter's row is locked only while a
transaction commits, never while it still waits for other rows (a reorganisation holding it
for its 30 s while an office ends a position the reorganisation also ends would deadlock).
They fire for each row, and the first of a statement (at commit: of the transaction) raises
the counter, the others see it done (a transaction-local setting). Units and terms count when changed or deleted (a
new unit falls inside the subtrees already seen); an authenticator counts when it is added
confirmed, confirmed, handed to another person or deleted, not when a sign-in records its last
code. The counter restarts from the clock if its row is ever lost, so it never goes back to a
value an earlier snapshot was filed under. On SQLite (``make run`` without a DATABASE_URL)
there are no triggers and no row: access is then read on every request, never cached.
"""

from django.db import migrations, models

BUMP = """
CREATE FUNCTION accounts_bump_access_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Deferred, every trigger of a transaction fires in its COMMIT statement: once is enough.
    this_statement text := txid_current()::text || ' ' || statement_timestamp()::text;
BEGIN
    IF current_setting('accounts.access_epoch_raised', true) IS DISTINCT FROM this_statement THEN
        INSERT INTO accounts_accessepoch (id, changes)
        VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT (id) DO UPDATE SET changes = accounts_accessepoch.changes + 1;
        PERFORM set_config('accounts.access_epoch_raised', this_statement, true);
    END IF;
    RETURN NULL;
END $$;
"""

EVERY_WRITE = "INSERT OR UPDATE OR DELETE"
#: table → the writes that change someone's access (a trigger each, named after its table)
TABLES = {
    "accounts_position": EVERY_WRITE,
    "accounts_user_groups": EVERY_WRITE,
    "accounts_user_user_permissions": EVERY_WRITE,
    "auth_group_permissions": EVERY_WRITE,
    "auth_permission": "UPDATE OR DELETE",
    "oversight_unituserobjectpermission": EVERY_WRITE,
    "oversight_unitgroupobjectpermission": EVERY_WRITE,
    "oversight_unitlineage": EVERY_WRITE,
    "oversight_unit": "UPDATE OR DELETE",
    "oversight_term": "UPDATE OR DELETE",
    "otp_totp_totpdevice": "DELETE",
}
#: trigger → (table, writes, condition): an authenticator counts only when it is confirmed
TRIGGERS = {f"{table}_access_epoch": (table, events, "") for table, events in TABLES.items()}
TRIGGERS["otp_totp_totpdevice_access_epoch_insert"] = (
    "otp_totp_totpdevice",
    "INSERT",
    "WHEN (NEW.confirmed)",
)
TRIGGERS["otp_totp_totpdevice_access_epoch_update"] = (
    "otp_totp_totpdevice",
    "UPDATE",
    "WHEN (OLD.confirmed IS DISTINCT FROM NEW.confirmed OR OLD.user_id IS DISTINCT FROM NEW.user_id)",
)

CREATE = [
    BUMP,
    "INSERT INTO accounts_accessepoch (id, changes) "
    "VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);",
]
DROP = []
for name, (table, events, condition) in TRIGGERS.items():
    CREATE.append(
        f"CREATE CONSTRAINT TRIGGER {name} AFTER {events} ON {table} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {condition} "
        "EXECUTE FUNCTION accounts_bump_access_epoch();"
    )
    DROP.append(f"DROP TRIGGER {name} ON {table};")
DROP.append("DROP FUNCTION accounts_bump_access_epoch();")


def on_postgresql(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_calendar_feed"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("oversight", "0006_unit_placements"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessEpoch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("changes", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "mốc quyền truy cập", "verbose_name_plural": "mốc quyền truy cập"},
        ),
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP)),
    ]
