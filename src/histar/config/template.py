"""`histar init`: the default project file for the online-course demo."""

from __future__ import annotations

from pathlib import Path

from histar.config.loader import PROJECT_FILE
from histar.datagen.schema import CSV_TABLE, TABLES, TABLES_BY_NAME

_HEADER = """\
# histar project file. Secrets never go here: write ${{VAR}} and set VAR in the
# environment or in .env (e.g. url = "postgresql://etl:${{PGPASSWORD}}@db:5432/shop").
name = "school"

[warehouse]
# A DuckDB file in this folder by default; a postgresql:// URL works too.
# HISTAR_WAREHOUSE_URL in the environment overrides it.
url = "{warehouse_url}"
raw_schema = "raw"
history_schema = "warehouse"
staging_schema = "staging"
star_schema = "star_schema"
ops_schema = "ops"
duckdb_memory_limit = "1536MB"   # DuckDB only: bigger work spills to <file>.tmp

[transform]
dbt_project = "builtin:school"   # or a path to your own dbt project
threads = 2

[schedule]
interval_minutes = 5             # or: cron = "*/15 * * * *"
retries = 1
retry_delay_seconds = 300
on_overlap = "skip"              # or "queue"

[notifications.telegram]
bot_token_env = "TELEGRAM_BOT_TOKEN"
chat_id_env = "TELEGRAM_CHAT_ID"

[datagen]
source_url = "{source_url}"
csv_dir = "data/csv"
rows = {rows}
seed = 42

# Source 1: the operational database (any sqlite:/// or postgresql:// URL).
[[sources]]
kind = "database"
id = 1
name = "school"
url = "{source_url}"
"""

_CSV = """
# Source 2: user_traffic CSV files delivered by marketing agencies.
[[sources]]
kind = "csv"
id = 2
name = "agency_csv"
path = "data/csv/user_traffic_*.csv"
table = "{table}"
primary_key = {key}

[sources.columns]
{columns}
"""

_CSV_TYPES = {"bigint": "BIGINT", "text": "VARCHAR", "timestamp": "TIMESTAMP"}


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def render_default_project(
    *,
    warehouse_url: str = "duckdb:///histar.duckdb",
    source_url: str = "sqlite:///data/source.sqlite",
    rows: int = 20_000,
) -> str:
    text = _HEADER.format(warehouse_url=warehouse_url, source_url=source_url, rows=rows)
    for table in TABLES:
        text += f'\n[[sources.tables]]\nname = "{table.name}"\n'
        text += f"primary_key = {_toml_list(table.primary_key)}\n"
        if table.mode == "incremental":
            text += f'mode = "incremental"\ncursor = "{table.cursor}"\n'
        if table.detect_deletes:
            text += "detect_deletes = true            # reads every key to find deleted rows\n"
    csv = TABLES_BY_NAME[CSV_TABLE]
    columns = "\n".join(f'{name} = "{_CSV_TYPES[typ]}"' for name, typ in csv.columns)
    text += _CSV.format(table=csv.name, key=_toml_list(csv.primary_key), columns=columns)
    return text


def write_default_project(folder: Path, *, force: bool = False, **kwargs: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PROJECT_FILE
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to overwrite it")
    path.write_text(render_default_project(**kwargs))  # type: ignore[arg-type]
    return path
