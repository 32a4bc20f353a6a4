"""The project file's shape: what `histar.toml` may say, with defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def snake_case(name: str) -> str:
    """`InvoiceLine` → `invoice_line`, `HTTPServer` → `http_server`, `album_id` unchanged."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return re.sub(r"[^0-9a-zA-Z]+", "_", s).strip("_").lower()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseConfig(_Strict):
    url: str = "duckdb:///histar.duckdb"
    raw_schema: str = "raw"
    history_schema: str = "warehouse"
    staging_schema: str = "staging"
    star_schema: str = "star_schema"
    ops_schema: str = "ops"
    duckdb_memory_limit: str = "1536MB"  # DuckDB spills to <file>.tmp beyond this


class TableConfig(_Strict):
    name: str
    primary_key: list[str] = Field(min_length=1)
    mode: Literal["snapshot", "incremental"] = "snapshot"
    cursor: str | None = None
    # incremental tables: also read the primary keys of the whole table each batch and close
    # the versions of keys that disappeared (snapshot tables always detect deletes)
    detect_deletes: bool = False

    @model_validator(mode="after")
    def _cursor_for_incremental(self) -> TableConfig:
        if self.mode == "incremental" and not self.cursor:
            raise ValueError("an incremental table needs a 'cursor' column")
        if self.detect_deletes and self.mode != "incremental":
            raise ValueError(
                "detect_deletes is for incremental tables; snapshot tables always detect deletes"
            )
        return self


class DatabaseSource(_Strict):
    kind: Literal["database"] = "database"
    id: int = Field(ge=1)
    name: str
    url: str
    tables: list[TableConfig] = Field(min_length=1)
    batch_rows: int = Field(default=250_000, ge=1)
    # "snake_case" lands `InvoiceLine.CustomerId` as `invoice_line.customer_id` (as dlt does);
    # names in this file stay the source's own.
    naming: Literal["source", "snake_case"] = "source"
    parallel: int = Field(default=2, ge=1, le=16)  # tables extracted at the same time

    def landed(self, name: str) -> str:
        """The name a source table or column gets in raw and in the history."""
        return snake_case(name) if self.naming == "snake_case" else name


class CsvSource(_Strict):
    kind: Literal["csv"]
    id: int = Field(ge=1)
    name: str
    path: str  # a glob, relative to the project folder
    table: str
    primary_key: list[str] = Field(min_length=1)
    columns: dict[str, str] = Field(min_length=1)
    delimiter: str = ","
    header: bool = True


Source = Annotated[DatabaseSource | CsvSource, Field(discriminator="kind")]


class ScheduleConfig(_Strict):
    interval_minutes: float | None = 5
    cron: str | None = None
    timezone: str = "UTC"
    retries: int = Field(default=1, ge=0)
    retry_delay_seconds: float = Field(default=300, ge=0)
    on_overlap: Literal["skip", "queue"] = "skip"


class TelegramConfig(_Strict):
    bot_token_env: str = "TELEGRAM_BOT_TOKEN"
    chat_id_env: str = "TELEGRAM_CHAT_ID"
    api_url: str = "https://api.telegram.org"
    timeout_seconds: float = 5


class NotificationsConfig(_Strict):
    telegram: TelegramConfig | None = None
    apprise_urls_env: str | None = None


class TransformConfig(_Strict):
    dbt_project: str = "builtin:school"  # a path, or "" for history only
    threads: int = Field(default=2, ge=1)


class DatagenConfig(_Strict):
    source_url: str = "sqlite:///data/source.sqlite"
    csv_dir: str = "data/csv"
    rows: int = Field(default=20_000, ge=100)
    seed: int = 42


class ProjectConfig(_Strict):
    name: str = "histar"
    warehouse: WarehouseConfig = WarehouseConfig()
    sources: list[Source] = Field(min_length=1)
    transform: TransformConfig = TransformConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    datagen: DatagenConfig | None = None
    # set by the loader, not by the file
    project_dir: Path = Path(".")

    @model_validator(mode="after")
    def _duckdb_name_is_not_a_schema(self) -> ProjectConfig:
        # DuckDB names a database after its file (up to the first dot); a schema of the same
        # name makes every `schema.table` reference ambiguous.
        w = self.warehouse
        if w.url.startswith("duckdb:"):
            stem = w.url.rstrip("/").rsplit("/", 1)[-1].split(".")[0]
            schemas = {
                w.raw_schema,
                w.history_schema,
                w.staging_schema,
                w.star_schema,
                w.ops_schema,
            }
            if stem in schemas:
                raise ValueError(
                    f"the DuckDB file may not be named like a schema ({stem!r}): "
                    "choose another name, e.g. duckdb:///histar.duckdb"
                )
        return self

    @model_validator(mode="after")
    def _unique_sources(self) -> ProjectConfig:
        ids = [s.id for s in self.sources]
        if len(ids) != len(set(ids)):
            raise ValueError(f"source ids must be unique, got {ids}")
        names = [s.name for s in self.sources]
        if len(names) != len(set(names)):
            raise ValueError(f"source names must be unique, got {names}")
        return self

    def resolve(self, path: str | Path) -> Path:
        """A path from the project file, relative to the project folder."""
        p = Path(path)
        return p if p.is_absolute() else (self.project_dir / p)
