"""`histar export`: PDF, PNG and inline HTML, rendered offline; the PDF holds every tile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from histar.config.model import ProjectConfig

from .conftest import school
from .expected import kpis, shown

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="needs poppler-utils (pdftoppm, pdftotext): .ci/run installs it",
)


def cli() -> object:
    import typer

    from histar.cli.dashboards import register

    app = typer.Typer()

    @app.callback()
    def _root() -> None: ...

    register(app)
    return app


def test_export_writes_pdf_png_html_for_filters(demo: ProjectConfig, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli(),  # type: ignore[arg-type]
        [
            "export", "-p", str(demo.project_dir), "--out", str(out),
            "--filter", "category=Data", "--filter", "date_range=2025-01-01..2025-06-30",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pdf, png, html = (out / f"school_sales.{ext}" for ext in ("pdf", "png", "html"))
    for f in (pdf, png, html):
        assert f.stat().st_size > 10_000, f

    # the PDF as PNG pages: every page has ink on it
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    from PIL import Image

    for page in pages:
        img = Image.open(page).convert("L")
        lo, hi = img.getextrema()
        assert hi - lo > 100 and img.width > 300 and img.height > 600

    # every tile is there, titled, with the filtered figures
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    board = school(demo)
    for tile in board.tiles:
        assert text.count(tile.title) == 1, tile.title
    for tab in board.tabs:
        assert tab.title in text
    from datetime import date

    figures = kpis(demo, "Data", None, (date(2025, 1, 1), date(2025, 6, 30)))
    for value in shown(figures):
        assert value in text
    assert "batch 1" in text and "Course category: Data" in text

    # the HTML page needs no network: Vega is inlined, no CDN links
    page = html.read_text()
    assert "cdn.jsdelivr" not in page and "vegaEmbed" in page


def test_export_unknown_dashboard_fails_cleanly(demo: ProjectConfig, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli(),  # type: ignore[arg-type]
        ["export", "-p", str(demo.project_dir), "--dashboard", "nope", "--out", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "no dashboard named 'nope'" in result.output
