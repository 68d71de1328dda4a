import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from oversight.importing import UnitImportError
from oversight.models import ReorganisationPlan
from oversight.reform import services
from oversight.reform.plan import impact


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key or not target:
            raise CommandError(f"{option} {value}: cần dạng MÃ=MÃ / expected CODE=CODE")
        pairs[key.strip()] = target.strip()
    return pairs


class Command(BaseCommand):
    help = (
        "Sắp xếp đơn vị theo cây mới và bảng chuyển đổi (chạy thử, hoặc áp dụng một lần). "
        "Apply a reorganisation plan: the new tree and the NSO crosswalk (dry run, or apply once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tree", help="new tree: code,name,level,division_type,parent_code")
        parser.add_argument("crosswalk", help="NSO crosswalk: old_code,…,new_code,…,share")
        parser.add_argument("--effective", required=True, type=datetime.date.fromisoformat)
        parser.add_argument("--basis-number", required=True, help="e.g. 1676/NQ-UBTVQH15")
        parser.add_argument("--basis-date", required=True, type=datetime.date.fromisoformat)
        parser.add_argument("--as", dest="actor", required=True, help="username of the actor")
        parser.add_argument("--choose", action="append", default=[], help="OLD=NEW")
        parser.add_argument("--place", action="append", default=[], help="CELL=NEW")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError(f"Không có người dùng / no user {options['actor']}")
        try:
            files = services.PlanFiles(
                Path(options["tree"]).name,
                Path(options["tree"]).read_text(encoding="utf-8-sig"),
                Path(options["crosswalk"]).name,
                Path(options["crosswalk"]).read_text(encoding="utf-8-sig"),
            )
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Không đọc được tệp / cannot read: {error}") from None
        try:
            if options["dry_run"]:
                plan = ReorganisationPlan(
                    effective_date=options["effective"],
                    basis_number=options["basis_number"],
                    basis_date=options["basis_date"],
                    tree_name=files.tree_name,
                    tree_text=files.tree_text,
                    crosswalk_name=files.crosswalk_name,
                    crosswalk_text=files.crosswalk_text,
                    choices=_pairs(options["choose"], "--choose"),
                    placements=_pairs(options["place"], "--place"),
                    created_by=actor,
                )
                plan.full_clean()
                result = impact(plan)
                for problem in [*result.problems, *result.notes]:
                    self.stderr.write(str(problem))
                self._totals("[dry-run] ", result.totals)
                if result.problems:
                    raise CommandError(f"{len(result.problems)} dòng chặn / rows block the plan")
                return
            plan = services.do_create_plan(
                actor, files, options["effective"], options["basis_number"], options["basis_date"]
            )
            services.do_save_choices(
                actor,
                plan,
                _pairs(options["place"], "--place"),
                _pairs(options["choose"], "--choose"),
            )
            totals = services.do_apply_plan(actor, plan)
        except UnitImportError as error:
            for refusal in error.problems:
                self.stderr.write(str(refusal))
            raise CommandError("Tệp bị từ chối / file refused") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except services.PlanRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Không áp dụng, không ghi gì ({len(refused.problems)} dòng chặn). "
                f"Not applied, nothing written ({len(refused.problems)} rows block it)."
            ) from None
        self._totals(f"plan {plan.pk}: ", totals)

    def _totals(self, prefix: str, totals: dict[str, int]) -> None:
        self.stdout.write(prefix + " ".join(f"{key}={value}" for key, value in totals.items()))
