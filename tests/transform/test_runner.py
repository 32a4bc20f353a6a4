"""Unit tests of the dbt runner (no database needed)."""

from __future__ import annotations

import json
import os

from histar.transform.runner import (
    PASSWORD_ENV,
    BuildResult,
    TransformError,
    default_project_dir,
    write_profiles,
)


def test_default_project_dir_is_the_packaged_project():
    project = default_project_dir()
    assert (project / "dbt_project.yml").is_file()
    text = (project / "dbt_project.yml").read_text()
    assert "name: histar_school" in text
    assert "profile: histar" in text
    marts = {p.stem for p in (project / "models" / "marts").glob("*.sql")}
    assert marts == {
        "dim_user",
        "dim_course",
        "dim_sales_manager",
        "dim_traffic_source",
        "dim_date",
        "fact_sales",
    }
    # every mart has a YAML beside it
    assert all((project / "models" / "marts" / f"{m}.yml").is_file() for m in marts)


def test_profiles_never_contain_the_password(tmp_path):
    target = {
        "type": "postgres",
        "host": "db",
        "port": 5432,
        "user": "bi",
        "password": "s3cr3t-pw",
        "dbname": "dwh",
        "threads": 2,
    }
    env = write_profiles(tmp_path, target, {"star_schema": "star"})
    text = (tmp_path / "profiles.yml").read_text()
    assert "s3cr3t-pw" not in text
    assert env == {PASSWORD_ENV: "s3cr3t-pw"}
    output = json.loads(text)["histar"]["outputs"]["histar"]
    assert output["password"] == "{{ env_var('" + PASSWORD_ENV + "', '') }}"
    assert output["schema"] == "star"  # defaults to the star schema var
    assert PASSWORD_ENV not in os.environ or os.environ[PASSWORD_ENV] != "s3cr3t-pw"


def test_duckdb_profile(tmp_path):
    env = write_profiles(tmp_path, {"type": "duckdb", "path": "/x/wh.duckdb"}, {})
    output = json.loads((tmp_path / "profiles.yml").read_text())["histar"]["outputs"]["histar"]
    assert env == {}
    assert output == {"type": "duckdb", "path": "/x/wh.duckdb", "threads": 1, "schema": "main"}


def test_transform_error_carries_the_result():
    result = BuildResult(success=False, seconds=1.0, models=0, tests=0, failures=["x"])
    err = TransformError("dbt build failed", result)
    assert err.result is result
    assert "dbt build failed" in str(err)
