"""The Streamlit page, driven in-process with AppTest (no browser)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import histar.dashboards
from histar.config.model import ProjectConfig

from .expected import kpis, shown

APP = Path(histar.dashboards.__file__).parent / "app.py"


def test_filters_change_the_figures(demo: ProjectConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HISTAR_PROJECT", str(demo.project_dir))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert [m.value for m in at.metric] == shown(kpis(demo))
    assert at.caption[0].value.startswith("Data: batch 1, published ")
    assert [t.label for t in at.tabs] == ["Sales", "Traffic and managers"]

    at.selectbox(key="f_category").set_value("Data").run()
    assert [m.value for m in at.metric] == shown(kpis(demo, "Data"))

    at.date_input(key="f_date_range_from").set_value(date(2025, 1, 1)).run()
    at.date_input(key="f_date_range_to").set_value(date(2025, 6, 30)).run()
    assert not at.exception
    expected = kpis(demo, "Data", None, (date(2025, 1, 1), date(2025, 6, 30)))
    assert [m.value for m in at.metric] == shown(expected)
    assert expected != kpis(demo, "Data")


def test_filters_from_the_url(demo: ProjectConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HISTAR_PROJECT", str(demo.project_dir))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["country"] = "Germany"
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric] == shown(kpis(demo, None, "Germany"))


def test_empty_warehouse_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from histar.config import write_default_project

    write_default_project(tmp_path)
    monkeypatch.setenv("HISTAR_PROJECT", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "run `histar run --full`" in at.info[0].value
