"""``field__any=values``: the ``__in`` of long lists of plain values, on every field."""

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.lookups import In
from django.utils.datastructures import OrderedSet


class AnyOf(In):
    """``__in`` whose values travel, on PostgreSQL, as one array (``= ANY(%s)``) instead of one
    literal each: the ten thousand codes or ids of an imported file are bound, parsed and
    planned in a third of the time (250 → 70 ms for 10,000 unit codes). Given a queryset, the
    array is built by the database (``= ANY(ARRAY(SELECT …))``), so the planner walks an index
    by its elements as it would for a list, without the ids crossing to Python and back.
    Elsewhere (SQLite) it is ``__in``. Plain values (ids, not model instances) or a queryset."""

    lookup_name = "any"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs_is_direct_value():
            subquery, subquery_params = self.process_rhs(compiler, connection)
            return f"{lhs} = ANY(ARRAY{subquery})", (*lhs_params, *subquery_params)
        values = OrderedSet(self.rhs)
        values.discard(None)  # NULL equals nothing
        if not values:
            raise EmptyResultSet
        if all(type(value) is int for value in values):
            # Ids, the long lists: one array literal, which the driver quotes as one string
            # instead of adapting each element in Python (a third of a 10,000-row import's
            # lookups), typed as the column so that its index is walked.
            array = "{" + ",".join(map(str, values)) + "}"
            cast = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{cast}[])", (*lhs_params, array)
        _placeholders, params = self.batch_process_rhs(compiler, connection, values)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(params))


# Foreign keys read their lookups from ForeignObject down only: ``member_id__any`` needs both.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
