"""The Chinook example end to end on real engines: source → raw → SCD2 warehouse → clean → mart
→ dashboard, checked against independent queries on the source database.

The Chinook files are read from HISTAR_CHINOOK_DIR or ../shared/data/chinook (beside the
repository) and never modified: the tests change a copy in tmp_path.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import sqlite3
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer
from typer.testing import CliRunner

from histar.cli.example import (
    CHINOOK_POSTGRES,
    CHINOOK_SQLITE,
    ExampleError,
    example_dir,
    fetch_file,
    postgres_script,
    prepare,
    register,
)
from histar.config import load_config
from histar.config.model import ProjectConfig, snake_case
from histar.dashboards.data import load_data
from histar.dashboards.definitions import load_dashboards
from histar.pipeline import run_batch
from histar.warehouse.connection import connect

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "chinook"
CENT = Decimal("0.01")
# the same thresholds as dbt_project.yml (vars spending_tier_high_min / _medium_min)
HIGH_MIN, MEDIUM_MIN = Decimal("45.00"), Decimal("40.00")
KEYS = {
    "album": ["album_id"], "artist": ["artist_id"], "customer": ["customer_id"],
    "employee": ["employee_id"], "genre": ["genre_id"], "invoice": ["invoice_id"],
    "invoice_line": ["invoice_line_id"], "media_type": ["media_type_id"],
    "playlist": ["playlist_id"], "playlist_track": ["playlist_id", "track_id"],
    "track": ["track_id"],
}  # fmt: skip
MART_KEYS = {
    "fact_invoice_line": ["invoice_line_id"], "dim_customer": ["customer_key"],
    "dim_track": ["track_key"], "dim_employee": ["employee_key"], "dim_date": ["date_key"],
    "customer_spending": ["customer_id"],
}  # fmt: skip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def chinook_dir() -> Path:
    folder = Path(os.environ.get("HISTAR_CHINOOK_DIR") or REPO.parent / "shared/data/chinook")
    if not (folder / CHINOOK_SQLITE).is_file():
        pytest.fail(
            f"Chinook files not found in {folder}: set HISTAR_CHINOOK_DIR to the folder with "
            f"{CHINOOK_SQLITE} and the PostgreSQL script (.ci/run finds the shared copies)"
        )
    return folder


def money(value: Any) -> Decimal:
    """A figure as exact cents (floats from the dashboard layer via their shortest repr)."""
    return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(
        CENT, ROUND_HALF_UP
    )


# --- the five answers, computed independently on the source database -----------------------


class Source:
    """Run PascalCase SQL on the SQLite edition, or snake_case on the PostgreSQL edition."""

    def __init__(self, url_or_path: str | Path) -> None:
        self.pg = str(url_or_path).startswith("postgresql")
        self.target = url_or_path

    def q(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg:
            sql = re.sub(r"\b[A-Z][A-Za-z]+\b", lambda m: snake_case(m.group(0)), sql)
            sql = sql.replace("{month}", "to_char(i.invoice_date, 'YYYY-MM')")
            with psycopg.connect(str(self.target)) as con:
                return con.execute(sql).fetchall()  # type: ignore[arg-type]
        sql = sql.replace("{month}", "substr(i.InvoiceDate, 1, 7)")
        with sqlite3.connect(f"file:{self.target}?mode=ro", uri=True) as con:
            return con.execute(sql).fetchall()


def regions() -> dict[str, str]:
    with (EXAMPLE / "dbt" / "seeds" / "country_region.csv").open() as f:
        return {r["country"]: r["region"] for r in csv.DictReader(f)}


def source_answers(src: Source) -> dict[str, Any]:
    # money is summed in exact decimals here (SQLite keeps it as floating point)
    lines = [
        (country, genre, track, int(qty), Decimal(str(price)), customer, month)
        for country, genre, track, qty, price, customer, month in src.q(
            """
            select i.BillingCountry, g.Name, l.TrackId, l.Quantity, l.UnitPrice,
                   i.CustomerId, {month}
            from InvoiceLine l
            join Invoice i on i.InvoiceId = l.InvoiceId
            join Track t on t.TrackId = l.TrackId
            join Genre g on g.GenreId = t.GenreId
            """
        )
    ]
    by_customer: dict[int, Decimal] = {}
    for cid, total in src.q("select CustomerId, Total from Invoice"):
        by_customer[cid] = by_customer.get(cid, Decimal(0)) + Decimal(str(total))
    for (cid,) in src.q("select CustomerId from Customer"):
        by_customer.setdefault(cid, Decimal(0))

    genre_country: dict[tuple[str, str], Decimal] = {}
    monthly: dict[str, Decimal] = {}
    units: dict[int, tuple[int, Decimal]] = {}
    country_price: dict[str, tuple[Decimal, int]] = {}
    for country, genre, track, qty, price, _customer, month in lines:
        amount = price * qty
        genre_country[(country, genre)] = genre_country.get((country, genre), 0) + amount
        monthly[month] = monthly.get(month, Decimal(0)) + amount
        u, r = units.get(track, (0, Decimal(0)))
        units[track] = (u + qty, r + amount)
        s, n = country_price.get(country, (Decimal(0), 0))
        country_price[country] = (s + amount, n + qty)

    top_genre = {}
    for (country, genre), revenue in genre_country.items():
        best = top_genre.get(country)
        if best is None or (-revenue, genre) < (-best[1], best[0]):
            top_genre[country] = (genre, revenue)

    tiers = {"high": 0, "medium": 0, "low": 0}
    for total in by_customer.values():
        tier = "high" if total >= HIGH_MIN else "medium" if total >= MEDIUM_MIN else "low"
        tiers[tier] += 1

    last = max(monthly)
    y, m = int(last[:4]), int(last[5:7])
    months = []
    for _ in range(24):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    last_two_years = [(mo, monthly.get(mo, Decimal(0))) for mo in reversed(months)]

    names = {
        tid: (name, album, artist)
        for tid, name, album, artist in src.q(
            """
            select t.TrackId, t.Name, a.Title, r.Name
            from Track t join Album a on a.AlbumId = t.AlbumId
            join Artist r on r.ArtistId = a.ArtistId
            """
        )
    }
    ranked = sorted(units.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:20]
    top_tracks = [(*names[tid], u, r) for tid, (u, r) in ranked]

    region_of = regions()
    region_price: dict[str, tuple[Decimal, int]] = {}
    for country, (s, n) in country_price.items():
        rs, rn = region_price.get(region_of.get(country, "Other"), (Decimal(0), 0))
        region_price[region_of.get(country, "Other")] = (rs + s, rn + n)

    (invoice_total,) = src.q("select sum(Total) from Invoice")[0]
    return {
        "revenue": Decimal(str(invoice_total)).quantize(CENT, ROUND_HALF_UP),
        "genre_country": {k: v.quantize(CENT) for k, v in genre_country.items()},
        "top_genre": {c: g for c, (g, _r) in top_genre.items()},
        "tiers": tiers,
        "monthly": [(mo, v.quantize(CENT)) for mo, v in last_two_years],
        "top_tracks": [(t, a, r, u, v.quantize(CENT)) for t, a, r, u, v in top_tracks],
        "avg_price_country": {
            c: (region_of.get(c, "Other"), (s / n).quantize(CENT, ROUND_HALF_UP))
            for c, (s, n) in country_price.items()
        },
        "avg_price_region": {
            r: (s / n).quantize(CENT, ROUND_HALF_UP) for r, (s, n) in region_price.items()
        },
    }


def dashboard_answers(cfg: ProjectConfig) -> dict[str, Any]:
    """The five answers as the dashboard shows them (no filter chosen)."""
    (dash,) = [d for d in load_dashboards(cfg) if d.name == "chinook_sales"]
    t = {k: v.to_pylist() for k, v in load_data(cfg, dash).tables.items()}
    return {
        "revenue": money(t["kpis"][0]["revenue"]),
        "genre_country": {
            (r["country"], r["genre"]): money(r["revenue"]) for r in t["revenue_by_genre_country"]
        },
        "top_genre": {r["country"]: r["genre"] for r in t["top_genre_by_country"]},
        "tiers": {r["tier"]: int(r["customers"]) for r in t["spending_tiers"]},
        "monthly": [(r["month"], money(r["revenue"])) for r in t["monthly_revenue"]],
        "top_tracks": [
            (r["track"], r["album"], r["artist"], int(r["units_sold"]), money(r["revenue"]))
            for r in t["top_tracks"]
        ],
        "avg_price_country": {
            r["country"]: (r["region"], money(r["average_unit_price"]))
            for r in t["avg_price_by_country"]
        },
        "avg_price_region": {
            r["region"]: money(r["average_unit_price"]) for r in t["avg_price_by_region"]
        },
    }


def check_answers(cfg: ProjectConfig, src: Source) -> dict[str, Any]:
    expected, shown = source_answers(src), dashboard_answers(cfg)
    for key in expected:
        assert shown[key] == expected[key], key
    assert shown["top_genre"]["USA"] == expected["top_genre"]["USA"]
    assert len(shown["monthly"]) == 24 and len(shown["top_tracks"]) == 20
    assert sum(shown["tiers"].values()) == len(src.q("select CustomerId from Customer"))
    return shown


# --- no duplicates, and history --------------------------------------------------------------


def check_no_duplicates(cfg: ProjectConfig, src: Source) -> None:
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:

        def one(sql: str) -> int:
            return int(wh.query(sql)[0][0])

        for table, keys in KEYS.items():
            k = ", ".join(keys)
            (n_source,) = src.q(f"select count(*) from {table_name(table, src)}")[0]
            raw = f"raw.chinook__{table}"
            assert one(f"select count(*) from {raw}") == n_source, raw
            assert one(f"select count(*) from (select distinct {k} from {raw}) x") == n_source
            current = "end_date = timestamp '9999-12-31'"
            hist = f"warehouse.{table}"
            assert one(f"select count(*) from {hist} where {current}") == n_source, hist
            assert one(f"select count(*) from (select distinct {k} from {hist} where {current}) x")
            assert one(
                f"select count(*) from (select {k}, start_date from {hist} "
                f"group by {k}, start_date having count(*) > 1) x"
            ) == 0, hist  # fmt: skip
            clean = f"clean.{table}"
            assert one(f"select count(*) from {clean}") == one(f"select count(*) from {hist}")
            assert one(f"select count(*) from {clean} where is_current") == n_source, clean
            assert one(
                f"select count(*) from (select {k}, start_date from {clean} "
                f"group by {k}, start_date having count(*) > 1) x"
            ) == 0, clean  # fmt: skip
        for table, keys in MART_KEYS.items():
            k = ", ".join(keys)
            mart = f"mart.{table}"
            assert one(
                f"select count(*) from (select {k} from {mart} group by {k} having count(*) > 1) x"
            ) == 0, mart  # fmt: skip
        (lines,) = src.q("select count(*) from InvoiceLine")[0]
        assert one("select count(*) from mart.fact_invoice_line") == lines


def table_name(table: str, src: Source) -> str:
    return table if src.pg else "".join(p.title() for p in table.split("_"))


# --- the tests -------------------------------------------------------------------------------


def test_duckdb_from_sqlite_with_the_command(tmp_path: Path, chinook_dir: Path) -> None:
    """`histar example chinook` from the SQLite file; re-runs and a changed row never
    duplicate anything, and the changed row becomes a new version."""
    app = typer.Typer()
    register(app)
    project = tmp_path / "chinook"
    result = CliRunner().invoke(
        app, ["example", "chinook", "--dir", str(project), "--data-dir", str(chinook_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "Where to look" in result.output and "mart.fact_invoice_line" in result.output
    cfg = load_config(project)
    db = project / "data" / CHINOOK_SQLITE
    assert db.stat().st_ino != (chinook_dir / CHINOOK_SQLITE).stat().st_ino
    src = Source(db)

    shown = check_answers(cfg, src)
    assert shown["revenue"] == Decimal("2328.60")
    check_no_duplicates(cfg, src)

    # ingestion again, nothing changed: no new version, nothing duplicated
    second = run_batch(cfg)
    assert second.batch_id == 2
    assert sum(s.inserted + s.closed for s in second.tables) == 0
    check_no_duplicates(cfg, src)

    # a changed source row (in the copy) and a new sale
    with sqlite3.connect(db) as con:
        con.execute("update Customer set City = 'Campinas' where CustomerId = 1")
        con.execute(
            "insert into Invoice values (413, 1, '2025-12-30 00:00:00', 'Av. Brig.', "
            "'Campinas', 'SP', 'Brazil', '12227-000', 1.98)"
        )
        con.execute("insert into InvoiceLine values (2241, 413, 1, 0.99, 2)")
    third = run_batch(cfg)
    stats = {s.table: s for s in third.tables}
    assert (stats["customer"].inserted, stats["customer"].closed) == (1, 1)
    assert (stats["invoice_line"].inserted, stats["invoice_line"].closed) == (1, 0)
    assert sum(s.inserted for s in third.tables) == 3
    check_no_duplicates(cfg, src)
    shown = check_answers(cfg, src)
    assert shown["revenue"] == Decimal("2330.58")
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        versions = wh.query(
            "select city, insert_id, update_id, end_date = timestamp '9999-12-31' "
            "from warehouse.customer where customer_id = 1 order by start_date"
        )
        assert [(c, i, u, cur) for c, i, u, cur in versions] == [
            ("São José dos Campos", 1, 3, False),
            ("Campinas", 3, None, True),
        ]
        assert wh.query(
            "select count(*), count(*) filter (where is_current) from mart.dim_customer "
            "where customer_id = 1"
        ) == [(2, 1)]
        # point in time: every sale of customer 1, the new one too (dated 2025-12-30, before
        # the move was seen at this batch's extraction time), keeps the first version
        keys = wh.query(
            "select f.invoice_id = 413, c.city, c.is_current from mart.fact_invoice_line f "
            "join mart.dim_customer c on c.customer_key = f.customer_key "
            "where f.customer_id = 1 group by 1, 2, 3 order by 1"
        )
        assert keys == [(False, "São José dos Campos", False), (True, "São José dos Campos", False)]

    fourth = run_batch(cfg)  # and once more: still nothing new
    assert sum(s.inserted + s.closed for s in fourth.tables) == 0
    check_no_duplicates(cfg, src)


@pytest.mark.postgres
def test_postgres_source_and_warehouse(
    tmp_path: Path, chinook_dir: Path, pg_database_factory: Callable[[], str]
) -> None:
    """The PostgreSQL edition of Chinook into a PostgreSQL warehouse: the same answers."""
    assert "\\c chinook" not in postgres_script(chinook_dir / CHINOOK_POSTGRES)
    source_url, warehouse_url = pg_database_factory(), pg_database_factory()
    # the source database is empty: prepare() loads Chinook_PostgreSql.sql into it
    project = prepare(
        tmp_path / "chinook", source_url=source_url, warehouse_url=warehouse_url,
        data_dir=chinook_dir,
    )  # fmt: skip
    cfg = load_config(project)
    assert cfg.sources[0].tables[6].name == "invoice_line"  # type: ignore[union-attr]
    first = run_batch(cfg, full=True)
    assert first.status == "success"
    src = Source(source_url)
    shown = check_answers(cfg, src)
    assert shown["revenue"] == Decimal("2328.60")
    check_no_duplicates(cfg, src)
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        cols = [c for c, _ in wh.columns("warehouse", "invoice_line")]
    assert cols[:5] == ["invoice_line_id", "invoice_id", "track_id", "unit_price", "quantity"]

    with psycopg.connect(source_url, autocommit=True) as con:
        con.execute("update track set name = 'For Those About To Rock' where track_id = 1")
    second = run_batch(cfg)
    stats = {s.table: s for s in second.tables}
    assert (stats["track"].inserted, stats["track"].closed) == (1, 1)
    assert sum(s.inserted for s in second.tables) == 1
    check_no_duplicates(cfg, src)
    check_answers(cfg, src)


def test_sqlite_and_postgres_editions_land_the_same_columns(tmp_path: Path) -> None:
    """naming = "snake_case": the PascalCase SQLite names become the PostgreSQL names."""
    cfg = load_config(prepare_config_only(tmp_path))
    src = cfg.sources[0]
    landed = {src.landed(t.name): [src.landed(k) for k in t.primary_key] for t in src.tables}  # type: ignore[union-attr]
    assert landed == KEYS


def prepare_config_only(tmp_path: Path) -> Path:
    shutil.copyfile(example_dir() / "histar.toml", tmp_path / "histar.toml")
    return tmp_path


def test_download_fails_clearly_when_offline(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{CHINOOK_SQLITE}"
    with pytest.raises(ExampleError, match="are you offline") as info:
        fetch_file(
            CHINOOK_SQLITE, tmp_path / "data", data_dir=tmp_path / "none", url=url, timeout=2
        )
    assert "HISTAR_CHINOOK_DIR" in str(info.value) and "releases/download" in str(info.value)
    assert not (tmp_path / "data" / CHINOOK_SQLITE).exists()
    assert not list((tmp_path / "data").glob("*.part"))


def test_unreachable_host_times_out(tmp_path: Path) -> None:
    # TEST-NET-1 (RFC 5737): never routed, so the connect attempt times out (or fails at once)
    url = f"http://192.0.2.1:81/{CHINOOK_SQLITE}"
    with pytest.raises(ExampleError, match="could not download"):
        fetch_file(CHINOOK_SQLITE, tmp_path, data_dir=tmp_path / "none", url=url, timeout=1)


def test_existing_project_is_not_overwritten(tmp_path: Path, chinook_dir: Path) -> None:
    (tmp_path / "histar.toml").write_text("name = 'mine'\n")
    with pytest.raises(ExampleError, match="--force"):
        prepare(tmp_path, data_dir=chinook_dir)
    assert (tmp_path / "histar.toml").read_text() == "name = 'mine'\n"
