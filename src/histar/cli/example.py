"""`histar example chinook`: histar's second example, the Chinook music store, end to end.

Copies `examples/chinook/` (project file, dbt project, dashboards) into a folder, gets the
Chinook database (the SQLite file by default: copied from `HISTAR_CHINOOK_DIR` when set,
otherwise downloaded from the chinook-database release; or a PostgreSQL database, loaded
from `Chinook_PostgreSql.sql` when it is empty), runs the full load and prints where to look.
Added to the `histar` command by `register(app)`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Annotated

import typer

from histar.config.model import snake_case

CHINOOK_RELEASE = "https://github.com/lerocha/chinook-database/releases/download/v1.4.5"
CHINOOK_SQLITE = "Chinook_Sqlite.sqlite"
CHINOOK_POSTGRES = "Chinook_PostgreSql.sql"
# SHA-256 of the v1.4.5 release files (the figures in the tests come from these)
SHA256 = {
    CHINOOK_SQLITE: "7651ba378ac2fcd0dfc3c66fb101f7a7eed3ba39a612ec642b96e20702061f15",
    CHINOOK_POSTGRES: "e3fde5c1a5b51a2a91429a702c9ca6e69ba56e6c7f5e112724d70c3d03db695e",
}
DATA_DIR_ENV = "HISTAR_CHINOOK_DIR"
EXAMPLES_DIR_ENV = "HISTAR_EXAMPLES_DIR"
TABLES = (
    "Album", "Artist", "Customer", "Employee", "Genre", "Invoice", "InvoiceLine", "MediaType",
    "Playlist", "PlaylistTrack", "Track",
)  # fmt: skip
_COPY_IGNORE = shutil.ignore_patterns(
    "target", "logs", "dbt_packages", ".histar", "*.duckdb*", "data", "__pycache__", ".env"
)


class ExampleError(Exception):
    """The example cannot be prepared (no data, no network, folder in the way)."""


def examples_dir() -> Path:
    """The `examples/` folder of the histar source tree (or `HISTAR_EXAMPLES_DIR`)."""
    if os.environ.get(EXAMPLES_DIR_ENV):
        return Path(os.environ[EXAMPLES_DIR_ENV])
    return Path(__file__).resolve().parents[3] / "examples"


def example_dir(name: str = "chinook") -> Path:
    folder = examples_dir() / name
    if not (folder / "histar.toml").is_file():
        raise ExampleError(
            f"example {name!r} not found in {folder.parent} "
            f"(set {EXAMPLES_DIR_ENV} to the examples/ folder of a histar checkout)"
        )
    return folder


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url: str, dest: Path, *, timeout: float = 30.0) -> Path:
    """Download `url` to `dest` (atomically); ExampleError with a clear message on failure."""
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            with part.open("wb") as f:
                for chunk in response.iter_bytes():
                    f.write(chunk)
    except httpx.HTTPStatusError as exc:
        part.unlink(missing_ok=True)
        raise ExampleError(
            f"could not download {url}: HTTP {exc.response.status_code}. {_offline_hint(dest)}"
        ) from None
    except (httpx.TransportError, OSError) as exc:  # no network, DNS, timeout, refused, disk
        part.unlink(missing_ok=True)
        reason = str(exc) or type(exc).__name__
        raise ExampleError(
            f"could not download {url} ({reason}): are you offline? {_offline_hint(dest)}"
        ) from None
    os.replace(part, dest)
    return dest


def _offline_hint(dest: Path) -> str:
    return (
        f"Download {dest.name} by hand from {CHINOOK_RELEASE}/{dest.name} into {dest.parent}, "
        f"or set {DATA_DIR_ENV} to a folder that holds it."
    )


def check_sqlite(path: Path) -> None:
    """The file is a Chinook SQLite database (all eleven tables)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            names = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    except sqlite3.DatabaseError as exc:
        raise ExampleError(f"{path} is not a SQLite database: {exc}") from None
    missing = [t for t in TABLES if t not in names]
    if missing:
        raise ExampleError(f"{path} is not the Chinook database: no table {', '.join(missing)}")


def fetch_file(
    name: str, dest_dir: Path, *, data_dir: Path | None = None, url: str | None = None,
    timeout: float = 30.0,
) -> Path:  # fmt: skip
    """One Chinook release file in `dest_dir`: copied from `data_dir` (or HISTAR_CHINOOK_DIR)
    when it holds it, otherwise downloaded from `url` (default: the v1.4.5 release)."""
    dest = dest_dir / name
    data_dir = data_dir or (
        Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV) else None
    )
    if data_dir is not None and (data_dir / name).is_file():
        dest_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir / name, dest)
        dest.chmod(0o644)
    elif dest.is_file():
        pass  # downloaded before
    else:
        download(url or f"{CHINOOK_RELEASE}/{name}", dest, timeout=timeout)
    if name == CHINOOK_SQLITE:
        check_sqlite(dest)
    return dest


def postgres_script(sql_file: Path) -> str:
    """Chinook_PostgreSql.sql without its `DROP/CREATE DATABASE` and `\\c` lines, so it loads
    into the database you connect to."""
    keep = []
    for line in sql_file.read_text(encoding="utf-8").splitlines():
        s = line.strip().lower()
        if s.startswith(("drop database", "create database", "\\c")):
            continue
        keep.append(line)
    return "\n".join(keep) + "\n"


def load_postgres_source(url: str, sql_file: Path) -> None:
    """Create and fill the Chinook tables in the (empty) database at `url`."""
    import psycopg

    script = postgres_script(sql_file)
    with psycopg.connect(url, autocommit=False) as con:
        con.execute(script.encode("utf-8"))  # no parameters: several statements are allowed


def postgres_has_chinook(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as con:
        row = con.execute("select to_regclass('public.invoice_line') is not null").fetchone()
    return bool(row and row[0])


def project_file_for(
    text: str, *, source_url: str | None = None, warehouse_url: str | None = None
) -> str:
    """The example's histar.toml for another source or warehouse.

    A PostgreSQL source is the snake_case edition of Chinook (`invoice_line.invoice_line_id`):
    the table names and primary keys are rewritten accordingly; `naming = "snake_case"` lands
    both editions identically.
    """
    if warehouse_url:
        text = re.sub(
            r'(?m)^(\[warehouse\]\n(?:.*\n)*?)url = ".*"',
            lambda m: f'{m.group(1)}url = "{warehouse_url}"',
            text,
            count=1,
        )
    if source_url:
        text = re.sub(
            r'(?m)^url = "sqlite:///data/Chinook_Sqlite\.sqlite"',
            lambda _m: f'url = "{source_url}"',
            text,
        )
        if not source_url.startswith("sqlite"):

            def names(m: re.Match[str]) -> str:
                return f'{m.group(1)}"{snake_case(m.group(2))}"'

            head, sep, tables = text.partition("[[sources.tables]]")
            tables = re.sub(r'(?m)^(name = )"(\w+)"', names, tables)
            tables = re.sub(r'(")(\w+)(?=")', lambda m: f'"{snake_case(m.group(2))}', tables)
            text = head + sep + tables
    return text


def prepare(
    dest: Path,
    *,
    source_url: str | None = None,
    warehouse_url: str | None = None,
    data_dir: Path | None = None,
    force: bool = False,
    timeout: float = 30.0,
) -> Path:
    """Copy the example to `dest` and get its data; returns the project folder."""
    src = example_dir("chinook")
    if (dest / "histar.toml").exists() and not force:
        raise ExampleError(f"{dest / 'histar.toml'} exists: use --force or another --dir")
    shutil.copytree(src, dest, ignore=_COPY_IGNORE, dirs_exist_ok=True)
    text = (src / "histar.toml").read_text(encoding="utf-8")
    (dest / "histar.toml").write_text(
        project_file_for(text, source_url=source_url, warehouse_url=warehouse_url),
        encoding="utf-8",
    )
    if not source_url or source_url.startswith("sqlite"):
        if source_url and source_url != "sqlite:///data/Chinook_Sqlite.sqlite":
            return dest  # the user's own SQLite file
        fetch_file(CHINOOK_SQLITE, dest / "data", data_dir=data_dir, timeout=timeout)
    elif not postgres_has_chinook(source_url):
        sql = fetch_file(CHINOOK_POSTGRES, dest / "data", data_dir=data_dir, timeout=timeout)
        load_postgres_source(source_url, sql)
    return dest


# --- the command -----------------------------------------------------------------------------

example_app = typer.Typer(help="Complete example projects (Chinook: raw → clean → mart).")


@example_app.command("chinook")
def chinook(
    dir: Annotated[Path, typer.Option("--dir", help="Folder to create the project in.")] = Path(
        "chinook"
    ),
    source_url: Annotated[
        str | None,
        typer.Option(help="postgresql://… database for the source (loaded when empty)."),
    ] = None,
    warehouse_url: Annotated[
        str | None, typer.Option(help="postgresql://… warehouse (default: a DuckDB file).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help=f"Folder holding the Chinook files (default: ${DATA_DIR_ENV}, or download)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing project in --dir.")] = False,
    run: Annotated[bool, typer.Option(help="Run the full load (--no-run: only prepare).")] = True,
) -> None:
    """Create the Chinook example project, get the data and run the full load."""
    from histar.cli.render import batch_summary, console, err_console
    from histar.config import ConfigError, load_config, redact
    from histar.pipeline import BatchFailed, run_batch

    try:
        project = prepare(
            dir, source_url=source_url, warehouse_url=warehouse_url, data_dir=data_dir,
            force=force,
        )  # fmt: skip
        cfg = load_config(project)
    except (ExampleError, ConfigError) as exc:
        err_console.print(f"[red]error:[/] {redact(str(exc))}")
        raise typer.Exit(1) from None
    except Exception as exc:  # e.g. the PostgreSQL source cannot be reached
        err_console.print(f"[red]error:[/] {redact(f'{type(exc).__name__}: {exc}')}")
        raise typer.Exit(1) from None
    console.print(f"project ready in {project}")
    if not run:
        console.print(f"run it with: histar run --full -p {project}")
        return
    try:
        result = run_batch(cfg, full=True)
    except BatchFailed as exc:
        err_console.print(f"[red]error:[/] {redact(str(exc))}")
        raise typer.Exit(1) from None
    console.print(batch_summary(result))
    console.print(
        "\nWhere to look:\n"
        f"  warehouse    {result.warehouse}\n"
        "  layers       raw.chinook__<table> → warehouse.<table> (SCD2) → clean.<table> → "
        "mart.dim_* / mart.fact_invoice_line / mart.customer_spending\n"
        f"  dashboards   histar dashboard -p {project}   (or: histar export -p {project})\n"
        f"  one more     histar run -p {project}   (incremental: only changes become versions)\n"
        f"  a row's past histar history customer 1 -p {project}\n"
        f"  read me      {project / 'README.md'}"
    )


def register(app: typer.Typer) -> None:
    """Add `histar example …` to the `histar` command."""
    app.add_typer(example_app, name="example")
