from __future__ import annotations

from pathlib import Path

import pytest

from histar.config import ConfigError, load_config, redact, write_default_project


def test_default_project_loads(tmp_path: Path) -> None:
    write_default_project(tmp_path)
    cfg = load_config(tmp_path)
    assert cfg.project_dir == tmp_path.resolve()
    assert cfg.warehouse.url == "duckdb:///histar.duckdb"
    db, csv = cfg.sources
    assert [t.name for t in db.tables][:2] == ["categories", "subcategories"]
    assert csv.kind == "csv" and csv.table == "user_traffic"
    assert cfg.schedule.retries == 1 and cfg.schedule.retry_delay_seconds == 300


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="histar init"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('mode = "incremental"\ncursor = "visit_id"', 'mode = "incremental"', "cursor"),
        ('mode = "incremental"\ncursor = "visit_id"', 'mode = "sometimes"', "mode"),
        (
            'primary_key = ["category_id"]\n',
            'primary_key = ["category_id"]\ndetect_deletes = true\n',
            "detect_deletes is for incremental tables",
        ),
        ("retries = 1", "retries = -1", "schedule.retries"),
        ('url = "duckdb:///histar.duckdb"', 'url = "duckdb:///warehouse.duckdb"', "named like"),
        ("interval_minutes = 5", "interval_minute = 5", "interval_minute"),
    ],
)
def test_wrong_setting_names_the_key(tmp_path: Path, replace: str, by: str, message: str) -> None:
    path = write_default_project(tmp_path)
    text = path.read_text()
    assert replace in text
    path.write_text(text.replace(replace, by, 1))
    with pytest.raises(ConfigError, match=message) as info:
        load_config(tmp_path)
    assert "\n" not in str(info.value)


def test_secrets_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    path = write_default_project(tmp_path)
    text = path.read_text().replace(
        'url = "duckdb:///histar.duckdb"', 'url = "postgresql://etl:${WH_PASSWORD}@db:5432/dw"'
    )
    path.write_text(text)
    with pytest.raises(ConfigError, match="WH_PASSWORD is not set"):
        load_config(tmp_path)
    (tmp_path / ".env").write_text("WH_PASSWORD=from-dotenv\n")
    assert load_config(tmp_path).warehouse.url == "postgresql://etl:from-dotenv@db:5432/dw"
    monkeypatch.setenv("WH_PASSWORD", "from-env")
    assert load_config(tmp_path).warehouse.url == "postgresql://etl:from-env@db:5432/dw"


def test_literal_password_in_file_is_refused(tmp_path: Path) -> None:
    path = write_default_project(tmp_path)
    path.write_text(
        path.read_text().replace("duckdb:///histar.duckdb", "postgresql://etl:hunter2@db/dw")
    )
    with pytest.raises(ConfigError, match="environment variable") as info:
        load_config(tmp_path)
    assert "hunter2" not in str(info.value)


def test_redact_hides_url_passwords() -> None:
    assert redact("cannot reach postgresql://etl:s3cret@db:5432/dw") == (
        "cannot reach postgresql://etl:***@db:5432/dw"
    )
    assert redact("token 123:ABC failed", ["123:ABC"]) == "token *** failed"
