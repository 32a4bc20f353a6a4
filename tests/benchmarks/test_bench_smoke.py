"""The benchmark suite runs end to end on a few thousand rows and writes valid JSON.

No timing assertions: only that every stage ran and the result file has the expected keys.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from histar_bench import report  # noqa: E402
from histar_bench.cli import build_options, parse_rows  # noqa: E402
from histar_bench.suite import STEPS, main_run, scale_label, scaling_run  # noqa: E402

ROWS = "3000"


def test_parse_rows_and_labels() -> None:
    assert parse_rows("1M") == 1_000_000
    assert parse_rows("200k") == 200_000
    assert parse_rows("1_500_000") == 1_500_000
    assert scale_label(1_000_000) == "1M" and scale_label(3000) == "3k"
    assert scale_label(1234) == "1234"
    with pytest.raises(ValueError):
        build_options(engines="duckdb,oracle")


def test_histar_bench_command_is_registered() -> None:
    from histar.cli.bench import benchmarks_dir, register

    assert benchmarks_dir() == BENCHMARKS
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps typer from collapsing to one
        pass

    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    assert "--scaling" in result.output and "--reference-rows" in result.output


def check_run(run: dict, engine: str, batch: str) -> None:
    assert run["engine"] == engine and run["batch"] == batch
    assert run["source_rows_read"] > 0 and run["seconds"] > 0 and run["peak_rss_mb"] > 0
    assert run["begin_seconds"] >= 0
    assert set(run["steps"]) == set(STEPS)
    for step in STEPS:
        assert set(run["steps"][step]) == {"seconds", "rows_per_s", "peak_rss_mb"}
        assert run["steps"][step]["seconds"] is not None
    assert run["tables"] and {"table", "rows_read", "extract_seconds"} <= set(run["tables"][0])
    if batch == "noop":  # nothing changed: the star schema is not rebuilt
        assert run["dbt_nodes"] == [] and run["inserted"] == 0 and run["closed"] == 0
    else:
        assert run["dbt_nodes"], "per-node dbt timings were collected"


@pytest.mark.postgres
@pytest.mark.slow
def test_main_run_writes_json(tmp_path: Path, pg_admin_url: str) -> None:
    opts = build_options(
        rows=ROWS,
        reference_rows="1500",  # the default dlt path runs on a separate tiny sample
        reference_connectorx_rows=ROWS,  # the connectorx one on the main source
        dashboard_runs=2,
        pg_url=pg_admin_url,
        results_dir=tmp_path / "results",
        work_dir=tmp_path / "work",
    )
    doc, path = main_run(opts, log=lambda _m: None)
    assert path.parent == tmp_path / "results" and path.name.endswith("-3k.json")
    data = json.loads(path.read_text())
    assert data == json.loads(json.dumps(doc, default=str))
    assert {"schema_version", "machine", "versions", "scale", "runs", "reference", "ratios",
            "dashboards", "changes", "options", "notes"} <= set(data)  # fmt: skip
    assert {"cores", "memory_gb", "cpu_model"} <= set(data["machine"])
    for key in ("python", "duckdb", "dbt-core", "pyarrow", "adbc-driver-manager",
                "postgres_server", "dlt"):  # fmt: skip
        assert data["versions"].get(key), key
    assert data["scale"]["rows"] == 3000 and data["scale"]["source_rows"] > 0

    runs = {(r["engine"], r["batch"]): r for r in data["runs"]}
    assert set(runs) == {(e, b) for e in ("duckdb", "postgres")
                         for b in ("full", "incremental", "noop")}  # fmt: skip
    for (engine, batch), run in runs.items():
        check_run(run, engine, batch)
    for engine in ("duckdb", "postgres"):
        assert runs[(engine, "full")]["closed"] == 0
        assert runs[(engine, "incremental")]["inserted"] > 0
        assert runs[(engine, "noop")]["inserted"] == runs[(engine, "noop")]["closed"] == 0
    assert runs[("duckdb", "full")]["warehouse_size_mb"] > 0

    refs = {r["config"]: r for r in data["reference"]}
    assert set(refs) == {"default", "connectorx"}
    assert refs["default"]["source"].startswith("sample") and refs["default"]["rows"] == 1500
    assert refs["connectorx"]["source"] == "main source"
    for ref in refs.values():
        assert ref["rows_per_s"] > 0 and ref["peak_rss_mb"] > 0
        assert sum(ref["destination_rows"].values()) >= ref["source_rows_read"]
    assert "duckdb_full_vs_dlt_default" in data["ratios"]

    dash = data["dashboards"]
    if "skipped" not in dash:
        for engine in ("duckdb", "postgres"):
            for d in dash[engine]["dashboards"]:
                assert {"dashboard", "p50_seconds", "p95_seconds", "cold_seconds"} <= set(d)

    report.print_main(data, path)  # the terminal tables render from the JSON alone


@pytest.mark.postgres
@pytest.mark.slow
def test_scaling_run_writes_json(tmp_path: Path, pg_admin_url: str) -> None:
    opts = build_options(
        scaling="2000",
        reference="none",
        pg_url=pg_admin_url,
        results_dir=tmp_path / "results",
        work_dir=tmp_path / "work",
    )
    _doc, path = scaling_run(opts, log=lambda _m: None)
    data = json.loads(path.read_text())
    assert path.name.endswith("-scaling-2k.json") and data["kind"] == "scaling"
    (size,) = data["sizes"]
    assert [r["batch"] for r in size["runs"]] == ["full", "incremental", "noop"]
    for run in size["runs"]:
        check_run(run, "duckdb", run["batch"])
    report.print_scaling(data, path)
