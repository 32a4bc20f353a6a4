"""`histar metabase sync` against a fake Metabase on 127.0.0.1 (real HTTP, no mocks)."""

from __future__ import annotations

import copy
import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from histar.cli.metabase import register
from histar.config.model import ProjectConfig
from histar.dashboards.metabase import (
    Dashboard,
    MetabaseError,
    load_definitions,
    sync,
    to_dashboard,
    to_native,
)

from .fake_metabase import VARIABLE, FakeMetabase

ADMIN_EMAIL = "admin@school.example"
ADMIN_PASSWORD = "s3cret-Admin-pw!"
PG_PASSWORD = "pg-Warehouse-pw%7"
API_KEY = "mb_Key-0123456789abcdef"

FIXTURE_YAML = """
name: school_sales
title: Online school — sales
filters:
  - name: category
    label: Course category
    type: select
    options_sql: select distinct category_name from star_schema.dim_course
  - name: date_range
    label: Sale date
    type: date_range
    bounds_sql: select min(sold_at), max(sold_at) from star_schema.fact_sales
tabs:
  - title: Sales
    tiles:
      - id: kpis
        title: Key figures
        type: kpi
        width: 12
        sql: |
          select sum(f.net_revenue) as revenue from star_schema.fact_sales f
          join star_schema.dim_course c on c.course_key = f.course_key
          where (:category is null or c.category_name = :category)
            and f.sold_at >= :date_range_from and f.sold_at < :date_range_to
        formats: {revenue: "$,.2f"}
      - id: by_month
        title: Revenue by month
        type: line
        x: month
        y: revenue
        sql: |
          select strftime(f.sold_at, '%Y-%m') as month, sum(f.net_revenue) as revenue
          from star_schema.fact_sales f
          where f.sold_at >= :date_range_from and f.sold_at < :date_range_to
          group by 1 order by 1
  - title: Detail
    tiles:
      - id: by_category
        title: Revenue by category
        type: bar
        x: category
        y: revenue
        sql: |
          select c.category_name as category, sum(f.net_revenue) as revenue
          from star_schema.fact_sales f
          join star_schema.dim_course c on c.course_key = f.course_key
          where (:category is null or c.category_name = :category)
          group by 1
"""


def _config(tmp_path: Path, url: str | None = None, **transform: Any) -> ProjectConfig:
    cfg = ProjectConfig.model_validate(
        {
            "name": "school",
            "warehouse": {"url": url or f"postgresql://histar:{PG_PASSWORD}@db.internal:5433/dw"},
            "sources": [{"kind": "csv", "id": 1, "name": "a", "path": "x.csv", "table": "t",
                         "primary_key": ["id"], "columns": {"id": "integer"}}],
            "transform": transform or {"dbt_project": "builtin:school"},
        }
    )  # fmt: skip
    cfg.project_dir = tmp_path
    return cfg


@pytest.fixture
def definitions(tmp_path: Path) -> list[Dashboard]:
    """The shipped dashboards when there are any, else a small fixture of the same format."""
    shipped = load_definitions(_config(tmp_path))
    if shipped:
        return shipped
    import yaml

    return [to_dashboard(yaml.safe_load(FIXTURE_YAML))]


def _admin_env(password: str = ADMIN_PASSWORD) -> dict[str, str]:
    return {"MB_ADMIN_EMAIL": ADMIN_EMAIL, "MB_ADMIN_PASSWORD": password}


def _live(store: dict[int, dict]) -> list[dict]:
    return [o for o in store.values() if not o.get("archived")]


def _assert_consistent(mb: FakeMetabase, defs: list[Dashboard]) -> None:
    """Every dashboard as defined: one live question per tile, mapped filters, tabs."""
    tiles = sum(len(d.tiles()) for d in defs)
    assert len(_live(mb.cards)) == tiles
    assert len(_live(mb.dashboards)) == len(defs)
    for dash in defs:
        (board,) = [b for b in _live(mb.dashboards) if f"[histar:{dash.name}]" in b["description"]]
        assert board["name"] == dash.title
        slugs = {p["slug"] for p in board["parameters"]}
        expected = {
            s for f in dash.filters
            for s in ((f"{f.name}_from", f"{f.name}_to") if f.type == "date_range" else (f.name,))
        }  # fmt: skip
        assert slugs == expected
        assert len(board["dashcards"]) == len(dash.tiles())
        assert len(board["tabs"]) == (len(dash.tabs) if len(dash.tabs) > 1 else 0)
        by_id = {p["id"]: p for p in board["parameters"]}
        for dc in board["dashcards"]:
            card = mb.cards[dc["card_id"]]
            native = card["dataset_query"]["native"]
            used = set(VARIABLE.findall(native["query"]))
            mapped = {pm["target"][1][1] for pm in dc["parameter_mappings"]}
            assert mapped == used  # every variable of the question follows a dashboard filter
            for pm in dc["parameter_mappings"]:
                assert pm["target"] == [
                    "variable",
                    ["template-tag", by_id[pm["parameter_id"]]["slug"]],
                ]
            assert ":category" not in native["query"] and ":date_range" not in native["query"]


def test_first_sync_sets_up_a_new_instance(tmp_path: Path, definitions: list[Dashboard]) -> None:
    with FakeMetabase() as mb:
        result = sync(_config(tmp_path), url=mb.url, definitions=definitions, env=_admin_env())

        assert result.signed_in_by == "setup"
        assert mb.setup_calls == 1 and mb.users == {ADMIN_EMAIL: ADMIN_PASSWORD}
        (db,) = mb.databases.values()
        assert db["name"] == "school warehouse" and db["engine"] == "postgres"
        details = db["details"]
        assert (details["host"], details["port"], details["dbname"], details["user"]) == (
            "db.internal",
            5433,
            "dw",
            "histar",
        )
        assert details["password"] == PG_PASSWORD
        assert mb.syncs == [db["id"]]
        (coll,) = mb.collections.values()
        assert coll["name"] == "school" and coll["location"] == "/"
        assert all(c["collection_id"] == coll["id"] for c in mb.cards.values())
        assert all(c["dataset_query"]["type"] == "native" for c in mb.cards.values())
        _assert_consistent(mb, definitions)
        assert [d.cards_created for d in result.dashboards] == [len(d.tiles()) for d in definitions]
        assert all(d.created for d in result.dashboards)


def test_second_sync_updates_in_place(tmp_path: Path, definitions: list[Dashboard]) -> None:
    cfg = _config(tmp_path)
    with FakeMetabase() as mb:
        sync(cfg, url=mb.url, definitions=definitions, env=_admin_env())
        board_id = next(iter(mb.dashboards))
        card_of = {  # tile key → card id
            re.search(r"\[histar:([^\]]+)\]", c["description"]).group(1): c["id"]
            for c in mb.cards.values()
        }
        dashcard_of = {dc["card_id"]: dc["id"] for dc in mb.dashboards[board_id]["dashcards"]}

        # the same definitions again: nothing new
        again = sync(cfg, url=mb.url, definitions=definitions, env=_admin_env())
        assert again.signed_in_by == "login" and mb.setup_calls == 1
        assert len(mb.cards) == len(card_of) and len(mb.dashboards) == len(definitions)
        assert len(mb.databases) == 1 and len(mb.collections) == 1
        assert {dc["card_id"]: dc["id"] for dc in mb.dashboards[board_id]["dashcards"]} == (
            dashcard_of
        )

        # change one tile's title and SQL, remove another
        changed = copy.deepcopy(definitions)
        dash = changed[0]
        first, *_, last = dash.tiles()
        first.title = "Key figures (net)"
        first.sql = first.sql.replace("select", "select /* v2 */", 1)
        for tab in dash.tabs:
            tab.tiles = [t for t in tab.tiles if t.id != last.id]
        result = sync(cfg, url=mb.url, definitions=changed, env=_admin_env())

        assert result.dashboards[0].id == board_id and not result.dashboards[0].created
        assert result.dashboards[0].cards_created == 0
        assert result.dashboards[0].cards_archived == 1
        assert len(mb.cards) == len(card_of)  # updated in place, nothing duplicated
        first_card = mb.cards[card_of[f"{dash.name}/{first.id}"]]
        assert first_card["name"] == "Key figures (net)"
        assert "/* v2 */" in first_card["dataset_query"]["native"]["query"]
        assert mb.cards[card_of[f"{dash.name}/{last.id}"]]["archived"] is True
        board = mb.dashboards[board_id]
        assert card_of[f"{dash.name}/{last.id}"] not in {dc["card_id"] for dc in board["dashcards"]}
        for dc in board["dashcards"]:
            assert dc["id"] == dashcard_of[dc["card_id"]]  # the same dashcards, not new ones
        _assert_consistent(mb, changed)
        assert mb.syncs == [1, 1, 1]


def test_items_without_description(tmp_path: Path, definitions: list[Dashboard]) -> None:
    """Collection items that don't list descriptions: the markers are read per item."""
    with FakeMetabase(items_have_description=False) as mb:
        for _ in range(2):
            sync(_config(tmp_path), url=mb.url, definitions=definitions, env=_admin_env())
        assert len(mb.cards) == sum(len(d.tiles()) for d in definitions)
        assert len(mb.dashboards) == len(definitions)


def test_only_one_dashboard_and_unknown_name(tmp_path: Path, definitions: list[Dashboard]) -> None:
    other = copy.deepcopy(definitions[0])
    other.name, other.title = "other_board", "Another board"
    defs = [*definitions, other]
    with FakeMetabase() as mb:
        env = _admin_env()
        result = sync(
            _config(tmp_path), url=mb.url, definitions=defs, env=env, dashboard="other_board"
        )
        assert [d.name for d in result.dashboards] == ["other_board"]
        assert len(mb.dashboards) == 1
        with pytest.raises(
            MetabaseError, match=r"no dashboard named 'nope' \(known: .*other_board"
        ):
            sync(_config(tmp_path), url=mb.url, definitions=defs, env=env, dashboard="nope")
        # a full sync later adds the rest and keeps other_board
        sync(_config(tmp_path), url=mb.url, definitions=defs, env=env)
        _assert_consistent(mb, defs)
        # a definition that is gone is archived by a full sync, with its questions
        result = sync(_config(tmp_path), url=mb.url, definitions=definitions, env=env)
        assert result.archived_dashboards == ["other_board"]
        _assert_consistent(mb, definitions)


def test_wrong_password_is_a_clear_error(tmp_path: Path, definitions: list[Dashboard]) -> None:
    with FakeMetabase(admin=(ADMIN_EMAIL, ADMIN_PASSWORD)) as mb:
        with pytest.raises(MetabaseError) as err:
            sync(_config(tmp_path), url=mb.url, definitions=definitions,
                 env=_admin_env("wrong-password-42"))  # fmt: skip
        message = str(err.value)
        assert "rejected the login" in message and "MB_ADMIN_PASSWORD" in message
        assert "wrong-password-42" not in message and "\n" not in message
        assert mb.setup_calls == 0 and not mb.cards


def test_api_key(tmp_path: Path, definitions: list[Dashboard]) -> None:
    with FakeMetabase(admin=("someone@example.com", "x" * 8), api_keys=(API_KEY,)) as mb:
        with pytest.raises(MetabaseError, match="does not accept MB_API_KEY") as err:
            sync(_config(tmp_path), url=mb.url, definitions=definitions,
                 env={"MB_API_KEY": "mb_wrong_key_1234"})  # fmt: skip
        assert "mb_wrong_key_1234" not in str(err.value)

        mb.log.clear()
        result = sync(_config(tmp_path), url=mb.url, definitions=definitions,
                      env={"MB_API_KEY": API_KEY})  # fmt: skip
        assert result.signed_in_by == "api key" and mb.setup_calls == 0
        keys = [{k.lower(): v for k, v in h.items()}.get("x-api-key") for _, p, h, _ in mb.log]
        assert keys == [API_KEY] * len(mb.log)
        _assert_consistent(mb, definitions)


def test_missing_credentials_and_unreachable(tmp_path: Path, definitions: list[Dashboard]) -> None:
    with FakeMetabase() as mb:
        with pytest.raises(MetabaseError, match="MB_API_KEY, or MB_ADMIN_EMAIL"):
            sync(_config(tmp_path), url=mb.url, definitions=definitions, env={})
        url = mb.url
    with pytest.raises(MetabaseError, match="cannot reach Metabase"):
        sync(_config(tmp_path), url=url, definitions=definitions, env=_admin_env())


def test_duckdb_warehouse_needs_the_driver(tmp_path: Path, definitions: list[Dashboard]) -> None:
    cfg = _config(tmp_path, url="duckdb:///dw.duckdb")
    with FakeMetabase() as mb:
        with pytest.raises(MetabaseError, match="no DuckDB driver"):
            sync(cfg, url=mb.url, definitions=definitions, env=_admin_env())
        assert not mb.databases
    with FakeMetabase(engines=("postgres", "duckdb")) as mb:
        sync(cfg, url=mb.url, definitions=definitions, env=_admin_env())
        (db,) = mb.databases.values()
        assert db["engine"] == "duckdb"
        assert db["details"] == {"database_file": str(tmp_path / "dw.duckdb"), "read_only": True}
        sync(
            cfg,
            url=mb.url,
            definitions=definitions,
            env=_admin_env(),
            duckdb_file="/data/dw.duckdb",
        )
        assert mb.databases[db["id"]]["details"]["database_file"] == "/data/dw.duckdb"


def test_cli_never_shows_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "school_sales.yml").write_text(FIXTURE_YAML)
    (tmp_path / "histar.toml").write_text(
        'name = "school"\n'
        "[warehouse]\n"
        'url = "postgresql://histar:${PGPASSWORD}@db.internal:5432/dw"\n'
        "[transform]\n"
        'dbt_project = ""\n'
        "[[sources]]\n"
        'kind = "csv"\nid = 1\nname = "a"\npath = "x.csv"\ntable = "t"\n'
        'primary_key = ["id"]\ncolumns = {id = "integer"}\n'
    )
    monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
    monkeypatch.setenv("MB_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("MB_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.delenv("MB_API_KEY", raising=False)
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    caplog.set_level(logging.DEBUG)
    secrets = [ADMIN_PASSWORD, PG_PASSWORD]

    with FakeMetabase() as mb:
        monkeypatch.setenv("MB_URL", mb.url)
        first = CliRunner().invoke(app, ["metabase", "sync", "-p", str(tmp_path)])
        assert first.exit_code == 0, first.output
        assert "school_sales" in first.output and "created" in first.output
        second = CliRunner().invoke(
            app, ["metabase", "sync", "-p", str(tmp_path), "--dashboard", "school_sales",
                  "--db-host", "postgres:5432"]
        )  # fmt: skip
        assert second.exit_code == 0, second.output
        assert "updated" in second.output
        assert mb.setup_calls == 1 and len(mb.cards) == 3
        assert next(iter(mb.databases.values()))["details"]["host"] == "postgres"
        sessions = list(mb.sessions)

        monkeypatch.setenv("MB_ADMIN_PASSWORD", "Wrong-Pass-999")
        bad = CliRunner().invoke(app, ["metabase", "sync", "-p", str(tmp_path)])
        assert bad.exit_code == 1
        assert "error:" in bad.output and "rejected the login" in bad.output
        assert len(bad.output.strip().splitlines()) <= 3  # one message (Rich may wrap it)

    for secret in [*secrets, "Wrong-Pass-999", *sessions]:
        for text in (first.output, second.output, bad.output, caplog.text):
            assert secret not in text


def _metabase_render(query: str, values: dict[str, Any]) -> str:
    """What Metabase runs: optional clauses kept only when all their variables have values."""

    def literal(name: str) -> str:
        v = values[name]
        return (
            f"date '{v.isoformat()}'" if isinstance(v, date) else "'" + v.replace("'", "''") + "'"
        )

    def clause(m: re.Match[str]) -> str:
        names = VARIABLE.findall(m.group(1))
        return m.group(1) if all(values.get(n) is not None for n in names) else ""

    query = re.sub(r"\[\[(.*?)\]\]", clause, query, flags=re.DOTALL)
    return VARIABLE.sub(lambda m: literal(m.group(1)), query)


@pytest.mark.parametrize(
    "category, start, end",
    [(None, None, None), ("Math", None, None), (None, date(2024, 2, 1), date(2024, 2, 29)),
     ("Art", date(2024, 1, 15), date(2024, 3, 1))],
)  # fmt: skip
def test_rewritten_sql_means_the_same_on_duckdb(category: str | None, start: Any, end: Any) -> None:
    """The Metabase question returns what histar's own query layer returns for the same filter."""
    from histar.dashboards.query import bind

    dash = to_dashboard(__import__("yaml").safe_load(FIXTURE_YAML))
    con = duckdb.connect()
    con.execute("create schema star_schema")
    con.execute("create table star_schema.dim_course (course_key int, category_name varchar)")
    con.execute("insert into star_schema.dim_course values (1, 'Math'), (2, 'Art'), (3, 'O''Neil')")
    con.execute(
        "create table star_schema.fact_sales (course_key int, sold_at timestamp, net_revenue float)"
    )
    con.execute(
        "insert into star_schema.fact_sales select 1 + i % 3, "
        "timestamp '2024-01-01' + i * interval 1 day, i from range(0, 120) t(i)"
    )
    for tile in dash.tiles():
        native = to_native(tile.sql, dash.filters)
        got = con.execute(_metabase_render(native.query, {
            "category": category, "date_range_from": start, "date_range_to": end,
        })).fetchall()  # fmt: skip
        values = {
            "category": category,
            "date_range_from": start or date(1900, 1, 1),
            "date_range_to": date.fromordinal((end or date(2999, 1, 1)).toordinal() + 1),
        }
        types = {"category": "varchar", "date_range_from": "date", "date_range_to": "date"}
        sql, args = bind(tile.sql, values, types, "duckdb")
        want = con.execute(sql, args).fetchall()
        assert sorted(map(repr, got)) == sorted(map(repr, want)), tile.id
