"""Dashboards as code: the YAML format (docs/dashboards-format.md) as dataclasses.

`load_dashboards(config)` reads the dashboards shipped for the project's dbt project
(`builtin/<name>/*.yml`, e.g. `builtin/school` for `dbt_project = "builtin:school"`) and the
project's own `dashboards/*.yml`; a project file with the same `name` replaces a shipped one.
Every problem is reported as one line naming the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from histar.config.model import ProjectConfig

BUILTIN_DIR = Path(__file__).parent / "builtin"
NAME_RE = re.compile(r"^[a-z0-9_]+$")
PARAM_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
FILTER_TYPES = ("select", "date_range")
TILE_TYPES = ("kpi", "line", "bar", "area", "table", "pivot")
CHART_TYPES = ("line", "bar", "area")
# bound into every query besides the filters: the published batch the page shows
BUILTIN_PARAMS = ("batch_id",)


class DashboardError(ValueError):
    """A dashboard file is invalid; the message is one line naming the file and key."""


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    type: str  # select | date_range
    options_sql: str | None = None
    bounds_sql: str | None = None

    @property
    def params(self) -> tuple[str, ...]:
        if self.type == "date_range":
            return (f"{self.name}_from", f"{self.name}_to")
        return (self.name,)


@dataclass(frozen=True)
class Tile:
    id: str
    title: str
    type: str
    sql: str
    width: int = 6
    description: str | None = None
    x: str | None = None
    y: str | None = None
    color: str | None = None
    horizontal: bool = False
    rows: str | None = None
    columns: str | None = None
    values: str | None = None
    formats: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tab:
    title: str
    tiles: tuple[Tile, ...]


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    tabs: tuple[Tab, ...]
    filters: tuple[Filter, ...] = ()
    description: str | None = None
    source: Path | None = None

    @property
    def tiles(self) -> list[Tile]:
        return [t for tab in self.tabs for t in tab.tiles]

    def filter(self, name: str) -> Filter:
        for f in self.filters:
            if f.name == name:
                return f
        raise KeyError(name)


class _Reader:
    """Typed access to one mapping of a file, with errors that name the file and key path."""

    def __init__(self, file: Path, data: Any, where: str) -> None:
        self.file, self.where = file, where
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, got {type(data).__name__}")
        self.data: dict[str, Any] = data

    def fail(self, message: str, key: str | None = None) -> DashboardError:
        path = f"{self.where}.{key}" if key and self.where else (key or self.where or "<top>")
        raise DashboardError(f"{self.file}: {path}: {message}")

    def allowed(self, keys: set[str]) -> None:
        for k in self.data:
            if k not in keys:
                self.fail(f"unknown key (allowed: {', '.join(sorted(keys))})", str(k))

    def str(self, key: str, *, required: bool = False, default: str | None = None) -> Any:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail("is required", key)
            return default
        if not isinstance(value, str) or not value.strip():
            self.fail("must be a non-empty string", key)
        return value

    def list(self, key: str, *, required: bool = False) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail("is required", key)
            return []
        if not isinstance(value, list) or (required and not value):
            self.fail("must be a non-empty list", key)
        return value

    def sub(self, data: Any, key: str) -> _Reader:
        return _Reader(self.file, data, f"{self.where}.{key}" if self.where else key)


def _filter(r: _Reader) -> Filter:
    r.allowed({"name", "label", "type", "options_sql", "bounds_sql"})
    name = r.str("name", required=True)
    if not PARAM_RE.match(name) or name in BUILTIN_PARAMS:
        r.fail(f"{name!r} is not a valid filter name ([a-z_][a-z0-9_]*, not batch_id)", "name")
    kind = r.str("type", required=True)
    if kind not in FILTER_TYPES:
        r.fail(f"{kind!r} is not one of {', '.join(FILTER_TYPES)}", "type")
    options, bounds = r.str("options_sql"), r.str("bounds_sql")
    if kind == "select" and not options:
        r.fail("a select filter needs options_sql", "options_sql")
    if kind == "date_range" and not bounds:
        r.fail("a date_range filter needs bounds_sql", "bounds_sql")
    return Filter(name, r.str("label", default=name), kind, options, bounds)


def _tile(r: _Reader) -> Tile:
    r.allowed(
        {"id", "title", "type", "width", "sql", "description", "x", "y", "color",
         "horizontal", "rows", "columns", "values", "formats"}
    )  # fmt: skip
    tile_id = r.str("id", required=True)
    if not NAME_RE.match(tile_id):
        r.fail(f"{tile_id!r} is not a valid id ([a-z0-9_]+)", "id")
    kind = r.str("type", required=True)
    if kind not in TILE_TYPES:
        r.fail(f"{kind!r} is not one of {', '.join(TILE_TYPES)}", "type")
    width = r.data.get("width", 6)
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 12:
        r.fail("must be an integer 1..12", "width")
    horizontal = r.data.get("horizontal", False)
    if not isinstance(horizontal, bool):
        r.fail("must be true or false", "horizontal")
    formats = r.data.get("formats") or {}
    if not isinstance(formats, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in formats.items()
    ):
        r.fail("must map column names to d3-format strings", "formats")
    tile = Tile(
        id=tile_id,
        title=r.str("title", default=tile_id.replace("_", " ").capitalize()),
        type=kind,
        sql=r.str("sql", required=True),
        width=width,
        description=r.str("description"),
        x=r.str("x"),
        y=r.str("y"),
        color=r.str("color"),
        horizontal=horizontal,
        rows=r.str("rows"),
        columns=r.str("columns"),
        values=r.str("values"),
        formats=dict(formats),
    )
    if kind in CHART_TYPES:
        for key in ("x", "y"):
            if getattr(tile, key) is None:
                r.fail(f"a {kind} tile needs {key}", key)
    if kind == "pivot":
        for key in ("rows", "columns", "values"):
            if getattr(tile, key) is None:
                r.fail(f"a pivot tile needs {key}", key)
    return tile


def _params_in(sql: str) -> set[str]:
    from histar.dashboards.query import parameters

    return set(parameters(sql))


def parse_dashboard(data: Any, file: Path) -> Dashboard:
    """One dashboard from parsed YAML; `file` is only used in error messages."""
    r = _Reader(file, data, "")
    r.allowed({"name", "title", "description", "filters", "tabs"})
    name = r.str("name", required=True)
    if not NAME_RE.match(name):
        r.fail(f"{name!r} is not a valid name ([a-z0-9_]+)", "name")
    filters = tuple(_filter(r.sub(f, f"filters[{i}]")) for i, f in enumerate(r.list("filters")))
    seen: set[str] = set()
    for i, f in enumerate(filters):
        if f.name in seen:
            r.fail(f"duplicate filter name {f.name!r}", f"filters[{i}].name")
        seen.add(f.name)
    known = {p for f in filters for p in f.params} | set(BUILTIN_PARAMS)
    tabs = []
    tile_ids: set[str] = set()
    for i, raw_tab in enumerate(r.list("tabs", required=True)):
        tr = r.sub(raw_tab, f"tabs[{i}]")
        tr.allowed({"title", "tiles"})
        tiles = []
        for j, raw_tile in enumerate(tr.list("tiles", required=True)):
            tile_r = tr.sub(raw_tile, f"tiles[{j}]")
            tile = _tile(tile_r)
            if tile.id in tile_ids:
                tile_r.fail(f"duplicate tile id {tile.id!r}", "id")
            tile_ids.add(tile.id)
            try:
                unknown = _params_in(tile.sql) - known
            except ValueError as exc:
                tile_r.fail(str(exc), "sql")
            if unknown:
                tile_r.fail(
                    f"unknown parameter(s) {', '.join(':' + u for u in sorted(unknown))} "
                    f"(known: {', '.join(':' + k for k in sorted(known))})",
                    "sql",
                )
            tiles.append(tile)
        tabs.append(Tab(tr.str("title", default=f"Tab {i + 1}"), tuple(tiles)))
    return Dashboard(
        name=name,
        title=r.str("title", default=name),
        tabs=tuple(tabs),
        filters=filters,
        description=r.str("description"),
        source=file,
    )


def load_file(path: Path) -> Dashboard:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "<yaml>"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DashboardError(f"{path}: {where}: invalid YAML: {problem}") from None
    except OSError as exc:
        raise DashboardError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_dashboard(data, path)


def builtin_dir(config: ProjectConfig) -> Path | None:
    """Shipped dashboards for the project's dbt project (`builtin:<name>`), if any."""
    project = config.transform.dbt_project
    if project.startswith("builtin:"):
        folder = BUILTIN_DIR / project.split(":", 1)[1]
        return folder if folder.is_dir() else None
    return None


def load_dashboards(config: ProjectConfig) -> list[Dashboard]:
    """Shipped dashboards, then the project's `dashboards/*.yml` (same name replaces)."""
    by_name: dict[str, Dashboard] = {}
    folders = [builtin_dir(config), config.resolve("dashboards")]
    for folder in folders:
        if folder is None or not folder.is_dir():
            continue
        mine: set[str] = set()
        for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
            d = load_file(path)
            if d.name in mine:
                raise DashboardError(f"{path}: name: dashboard {d.name!r} is defined twice")
            mine.add(d.name)
            by_name[d.name] = d
    return list(by_name.values())


def find_dashboard(dashboards: list[Dashboard], name: str | None) -> list[Dashboard]:
    if name is None:
        return dashboards
    for d in dashboards:
        if d.name == name:
            return [d]
    known = ", ".join(d.name for d in dashboards) or "none"
    raise DashboardError(f"no dashboard named {name!r} (known: {known})")
