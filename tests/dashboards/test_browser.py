"""The dashboard in real headless Chromium (Selenium): filters change the numbers shown, and
they equal the same figures computed in SQL.

Needs Debian `chromium` and `chromium-driver` (.ci/run installs them). With
HISTAR_UPDATE_SCREENSHOTS=1 it also refreshes docs/images/dashboard-*.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from histar.cli.dashboards import streamlit_command
from histar.config.model import ProjectConfig

from .expected import kpis, shown

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="needs Debian chromium and chromium-driver (.ci/run installs them)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo: ProjectConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            streamlit_command(demo.project_dir, "127.0.0.1", port),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "HOME": str(log.parent)},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,1500", "--hide-scrollbars",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):  # fmt: skip
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def metric_texts(driver) -> list[str]:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricValue"]')]


def wait_for_metrics(driver, expected: list[str], timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, timeout, poll_frequency=0.2).until(
            lambda d: metric_texts(d) == expected
        )
    except Exception:
        pytest.fail(f"the page shows {metric_texts(driver)}, SQL says {expected}")


def widget(driver, testid: str, label: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    for w in driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]'):
        if w.text.splitlines() and w.text.splitlines()[0].strip() == label:
            return w
    raise AssertionError(f"no {testid} labelled {label!r}")


def choose(driver, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = widget(driver, "stSelectbox", label).find_element(By.TAG_NAME, "input")
    box.click()
    box.send_keys(option)
    box.send_keys(Keys.ENTER)


def type_date(driver, label: str, day: date) -> None:  # type: ignore[no-untyped-def]
    """Streamlit's date field is a react-aria DateField: one spin button per part."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    field = widget(driver, "stDateInput", label)
    for part, text in (("year", f"{day.year:04d}"), ("month", f"{day.month:02d}"),
                       ("day", f"{day.day:02d}")):  # fmt: skip
        segment = field.find_element(By.CSS_SELECTOR, f'[role="spinbutton"][data-type="{part}"]')
        driver.execute_script("arguments[0].focus()", segment)  # a click opens the calendar
        segment.send_keys(text)
    day_part = field.find_element(By.CSS_SELECTOR, '[role="spinbutton"][data-type="day"]')
    day_part.send_keys(Keys.ESCAPE)
    day_part.send_keys(Keys.TAB)


def settle(driver, seconds: float = 1.5) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit is idle (no running script) and charts had time to draw."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
    )
    time.sleep(seconds)


def save_small(driver, path: Path, width: int = 1100) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_suffix(".raw.png")
    driver.save_screenshot(str(raw))
    img = Image.open(raw).convert("RGB")
    img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    raw.unlink()


def test_filters_in_the_browser(
    server: str,
    browser,
    demo: ProjectConfig,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(server)
    wait_for_metrics(driver, shown(kpis(demo)), timeout=60)
    assert "Data: batch 1, published" in driver.find_element(By.TAG_NAME, "body").text
    screenshots = os.environ.get("HISTAR_UPDATE_SCREENSHOTS") == "1"
    if screenshots:
        settle(driver)
        save_small(driver, IMAGES / "dashboard-sales.png")

    choose(driver, "Course category", "Data")
    wait_for_metrics(driver, shown(kpis(demo, "Data")))

    dates = (date(2025, 1, 1), date(2025, 6, 30))
    type_date(driver, "Sale date from", dates[0])
    type_date(driver, "Sale date to", dates[1])
    expected = kpis(demo, "Data", None, dates)
    assert expected != kpis(demo, "Data")
    wait_for_metrics(driver, shown(expected))

    # the second tab renders for the same filters
    tab = next(
        t for t in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]')
        if t.text.strip() == "Traffic and managers"
    )  # fmt: skip
    tab.click()
    settle(driver, 0.5)
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Conversion by traffic source" in body and "Revenue by sales manager" in body
    if screenshots:
        driver.set_window_size(1400, 1900)
        driver.get(server)  # default filters again
        wait_for_metrics(driver, shown(kpis(demo)), timeout=60)
        next(
            t for t in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]')
            if t.text.strip() == "Traffic and managers"
        ).click()  # fmt: skip
        settle(driver)
        save_small(driver, IMAGES / "dashboard-traffic.png")
        from histar.dashboards.definitions import load_dashboards
        from histar.dashboards.export import export_dashboard

        board = load_dashboards(demo)[0]
        done = export_dashboard(demo, board, tmp_path, {}, ("png",), scale=1.0)
        shutil.copyfile(done.files[0], tmp_path / "x.png")
        from PIL import Image

        img = Image.open(tmp_path / "x.png").convert("RGB")
        img = img.resize((900, round(img.height * 900 / img.width)), Image.LANCZOS)
        img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
            IMAGES / "export-school-sales.png", optimize=True
        )
