"""The online-course business: the nine source tables, their keys and how histar loads them.

This is the contract shared by the generator, the default project file and the dbt project.
Types are portable SQL types; SQLite stores timestamps as ISO text ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...]
    # "snapshot": full extract each batch, deletes detected;
    # "incremental": rows with cursor >= last seen
    mode: str = "snapshot"
    cursor: str | None = None
    # incremental tables: the whole key column is read each batch to close deleted rows
    detect_deletes: bool = False

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


TS = "timestamp"
MONEY = "numeric(12,2)"

TABLES: tuple[Table, ...] = (
    Table(
        "categories",
        (("category_id", "bigint"), ("name", "text"), ("updated_at", TS)),
        ("category_id",),
    ),
    Table(
        "subcategories",
        (
            ("subcategory_id", "bigint"),
            ("category_id", "bigint"),
            ("name", "text"),
            ("updated_at", TS),
        ),
        ("subcategory_id",),
    ),
    Table(
        "courses",
        (
            ("course_id", "bigint"),
            ("subcategory_id", "bigint"),
            ("title", "text"),
            ("level", "text"),
            ("price", MONEY),
            ("created_at", TS),
            ("updated_at", TS),
        ),
        ("course_id",),
    ),
    Table(
        "sales_managers",
        (
            ("manager_id", "bigint"),
            ("first_name", "text"),
            ("last_name", "text"),
            ("email", "text"),
            ("region", "text"),
            ("hired_at", TS),
            ("updated_at", TS),
        ),
        ("manager_id",),
    ),
    Table(
        "users",
        (
            ("user_id", "bigint"),
            ("first_name", "text"),
            ("last_name", "text"),
            ("email", "text"),
            ("country", "text"),
            ("city", "text"),
            ("registered_at", TS),
            ("updated_at", TS),
        ),
        ("user_id",),
        # the biggest dimension: only changed rows are read, deletes found by key
        mode="incremental",
        cursor="updated_at",
        detect_deletes=True,
    ),
    Table(
        "traffic_sources",
        (
            ("traffic_source_id", "bigint"),
            ("name", "text"),
            ("channel", "text"),
            ("updated_at", TS),
        ),
        ("traffic_source_id",),
    ),
    Table(
        "user_traffic",
        (
            ("visit_id", "bigint"),
            ("user_id", "bigint"),
            ("traffic_source_id", "bigint"),
            ("visited_at", TS),
            ("utm_campaign", "text"),
        ),
        ("visit_id",),
        mode="incremental",
        cursor="visit_id",
    ),
    Table(
        "enrollments",
        (
            ("enrollment_id", "bigint"),
            ("user_id", "bigint"),
            ("course_id", "bigint"),
            ("enrolled_at", TS),
            ("status", "text"),
            ("updated_at", TS),
        ),
        ("enrollment_id",),
        mode="incremental",
        cursor="updated_at",
    ),
    Table(
        "sales",
        (
            ("sale_id", "bigint"),
            ("user_id", "bigint"),
            ("course_id", "bigint"),
            ("manager_id", "bigint"),
            ("enrollment_id", "bigint"),
            ("sold_at", TS),
            ("list_price", MONEY),
            ("discount", MONEY),
            ("refunded_amount", MONEY),
            ("status", "text"),
            ("updated_at", TS),
        ),
        ("sale_id",),
        mode="incremental",
        cursor="updated_at",
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}

# Marketing agencies deliver visits as CSV files with the user_traffic columns. Their visit ids
# come from the agencies' own range, so they never collide with the database's.
CSV_TABLE = "user_traffic"
CSV_VISIT_ID_OFFSET = 1_000_000_000_000
