"""Provision histar's dashboards in Metabase through its REST API (`histar metabase sync`).

What one sync does, in order (every step finds what an earlier sync made and updates it):

1. **Sign in.** `MB_API_KEY` → header `X-API-Key`. Otherwise `MB_ADMIN_EMAIL` +
   `MB_ADMIN_PASSWORD`: on a new instance (`GET /api/session/properties` says
   `has-user-setup: false`) `POST /api/setup` creates that admin with the `setup-token`,
   else `POST /api/session` logs in. Both give a session id for `X-Metabase-Session`.
2. **Warehouse connection** named "<project> warehouse": `POST /api/database` (or `PUT` when
   it exists), then `POST /api/database/:id/sync_schema`. PostgreSQL → engine `postgres`;
   DuckDB → engine `duckdb` (community driver; only if Metabase lists it in `engines`).
3. **Collection** named after the project (top level), `POST /api/collection` once.
4. **One native SQL question per tile** (`POST /api/card`, `PUT /api/card/:id`), and
5. **one dashboard per definition** (`POST /api/dashboard`, then `PUT /api/dashboard/:id` with
   `parameters`, `dashcards` and `tabs`; `parameter_mappings` target
   `["variable", ["template-tag", name]]`).

Identity: every card and dashboard histar makes carries a marker in its description,
`[histar:<dashboard>/<tile>]` or `[histar:<dashboard>]`, and lives in histar's collection. A
sync lists that collection (`GET /api/collection/:id/items`) and matches on the marker, so a
renamed tile updates its card in place, a removed tile's card is archived, and no state file
is needed (the Metabase instance is the state).

SQL rewrite (tile SQL uses `:name` parameters, see docs/dashboards-format.md):

- `(:x is null or EXPR)` for a select filter `x` → `(1 = 1 [[and EXPR']])` where EXPR' has
  `{{x}}`: Metabase's optional clause, dropped when the filter is empty.
- any other `:x` of a select filter → `cast(coalesce([[{{x}}, ]]null) as varchar)`: NULL
  (= all) when the filter is empty, exactly like histar's own query layer.
- `:<d>_from` / `:<d>_to` of a date_range filter `d` → `date` variables with an open default:
  `coalesce([[cast({{d_from}} as date), ]]cast('0001-01-01' as date))` and
  `coalesce([[cast({{d_to}} as date) + 1, ]]cast('9999-12-31' as date))` — the "to" date a
  person picks is inclusive; the tile SQL keeps its exclusive upper bound.

Secrets (admin password, API key, session id, warehouse password) come from the environment
only; every message this module raises or logs passes through `redact`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from histar.config.loader import environment, redact
from histar.config.model import ProjectConfig

log = logging.getLogger(__name__)

GRID_COLUMNS = 24  # Metabase's dashboard grid (since v0.46); histar's tiles use 12 columns
DEFAULT_URL = "http://localhost:3000"
MARKER = re.compile(r"\[histar:([^\]\s]+)\]")
_TAG_NAMESPACE = uuid.UUID("6f1c1f4e-8f0a-4a53-9d1e-6b8b3c1d2e70")

DISPLAY = {"kpi": "scalar", "line": "line", "bar": "bar", "area": "area", "table": "table"}
HEIGHT = {"kpi": 4, "table": 8, "pivot": 8}  # grid rows; charts get 6


class MetabaseError(Exception):
    """A failed sync step; the message is one line and holds no secret."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when Metabase answered with an error


# ---------------------------------------------------------------- dashboard definitions


@dataclass
class Filter:
    name: str
    label: str
    type: str  # select | date_range


@dataclass
class Tile:
    id: str
    title: str
    type: str
    sql: str
    width: int = 6
    description: str = ""
    x: str | None = None
    y: str | list[str] | None = None
    color: str | None = None
    horizontal: bool = False
    rows: str | None = None
    columns: str | None = None
    values: str | None = None
    formats: dict[str, str] = field(default_factory=dict)


@dataclass
class Tab:
    title: str
    tiles: list[Tile]


@dataclass
class Dashboard:
    name: str
    title: str
    description: str = ""
    filters: list[Filter] = field(default_factory=list)
    tabs: list[Tab] = field(default_factory=list)

    def tiles(self) -> list[Tile]:
        return [t for tab in self.tabs for t in tab.tiles]


def _plain(obj: Any) -> Any:
    """A dict/list view of a definition object (pydantic model, dataclass or mapping)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _plain(getattr(obj, k)) for k in obj.__dataclass_fields__}
    return obj


def to_dashboard(obj: Any) -> Dashboard:
    """Normalise one definition (the YAML dict, or `definitions.load_dashboards` output)."""
    if isinstance(obj, Dashboard):
        return obj
    d = _plain(obj)
    filters = [
        Filter(f["name"], f.get("label") or f["name"], f.get("type") or "select")
        for f in d.get("filters") or []
    ]
    raw_tabs = d.get("tabs") or [{"title": d.get("title") or d["name"], "tiles": d.get("tiles")}]
    tabs = []
    for tab in raw_tabs:
        tiles = []
        for t in tab.get("tiles") or []:
            tiles.append(
                Tile(
                    id=str(t["id"]),
                    title=t.get("title") or str(t["id"]).replace("_", " ").capitalize(),
                    type=t.get("type") or "table",
                    sql=t["sql"],
                    width=int(t.get("width") or 6),
                    description=t.get("description") or "",
                    x=t.get("x"),
                    y=t.get("y"),
                    color=t.get("color"),
                    horizontal=bool(t.get("horizontal")),
                    rows=t.get("rows"),
                    columns=t.get("columns"),
                    values=t.get("values"),
                    formats=dict(t.get("formats") or {}),
                )
            )
        tabs.append(Tab(tab.get("title") or "", tiles))
    return Dashboard(
        name=d["name"],
        title=d.get("title") or d["name"],
        description=d.get("description") or "",
        filters=filters,
        tabs=tabs,
    )


def load_definitions(config: ProjectConfig) -> list[Dashboard]:
    """The project's dashboards (shipped + `dashboards/*.yml`), via `definitions`."""
    from histar.dashboards.definitions import DashboardError, load_dashboards

    try:
        return [to_dashboard(d) for d in load_dashboards(config)]
    except DashboardError as exc:
        raise MetabaseError(str(exc)) from None


# ---------------------------------------------------------------- SQL → native question


def _mask(sql: str) -> str:
    """The SQL with string literals, quoted names and comments blanked (same length)."""
    out = list(sql)
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_OPTIONAL = re.compile(r"\(\s*:([A-Za-z_]\w*)\s+is\s+null\s+or\s+", re.IGNORECASE)


@dataclass
class NativeQuery:
    query: str
    tags: list[str]  # template-tag names in order of first use


def _tag_kinds(filters: Iterable[Filter]) -> dict[str, tuple[str, str]]:
    """tag name → (kind, display name); kind is select, date_from or date_to."""
    kinds: dict[str, tuple[str, str]] = {}
    for f in filters:
        if f.type == "date_range":
            kinds[f"{f.name}_from"] = ("date_from", f"{f.label} from")
            kinds[f"{f.name}_to"] = ("date_to", f"{f.label} to")
        else:
            kinds[f.name] = ("select", f.label)
    return kinds


def to_native(sql: str, filters: Iterable[Filter], ops_schema: str = "ops") -> NativeQuery:
    """Rewrite a tile's `:name` parameters into Metabase variables (see the module doc)."""
    kinds = _tag_kinds(filters)
    batch = f"(select max(batch_id) from {ops_schema}.batches where status = 'success')"
    used: list[str] = []

    def use(name: str) -> str:
        if name not in used:
            used.append(name)
        return "{{" + name + "}}"

    def generic(text: str, masked: str) -> str:
        out, last = [], 0
        for m in _PARAM.finditer(masked):
            name = m.group(1)
            if name == "batch_id":  # the published batch, as histar's query layer binds it
                out += [text[last : m.start()], batch]
                last = m.end()
                continue
            if name not in kinds:
                continue
            kind = kinds[name][0]
            var = use(name)
            if kind == "select":
                new = f"cast(coalesce([[{var}, ]]null) as varchar)"
            elif kind == "date_from":
                new = f"coalesce([[cast({var} as date), ]]cast('0001-01-01' as date))"
            else:
                new = f"coalesce([[cast({var} as date) + 1, ]]cast('9999-12-31' as date))"
            out += [text[last : m.start()], new]
            last = m.end()
        return "".join([*out, text[last:]])

    masked = _mask(sql)
    out, last = [], 0
    for m in _OPTIONAL.finditer(masked):
        name = m.group(1)
        if m.start() < last or kinds.get(name, ("",))[0] != "select":
            continue
        depth, j = 1, m.end()
        while j < len(masked) and depth:
            depth += {"(": 1, ")": -1}.get(masked[j], 0)
            j += 1
        if depth:
            continue  # unbalanced: leave it to the generic rule
        inner, inner_masked = sql[m.end() : j - 1], masked[m.end() : j - 1]
        names = {p.group(1) for p in _PARAM.finditer(inner_masked)} & kinds.keys()
        if names != {name}:
            continue  # another filter inside: an optional clause can't hold two
        pieces, at = [], 0
        for p in _PARAM.finditer(inner_masked):
            if p.group(1) in (name, "batch_id"):
                pieces += [inner[at : p.start()], use(name) if p.group(1) == name else batch]
                at = p.end()
        expr = "".join([*pieces, inner[at:]]).strip()
        if re.search(r"\bor\b", _mask(expr), re.IGNORECASE):
            expr = f"({expr})"
        out += [generic(sql[last : m.start()], masked[last : m.start()])]
        out += [f"(1 = 1 [[and {expr}]])"]
        last = j
    out.append(generic(sql[last:], masked[last:]))
    return NativeQuery("".join(out), used)


def _tag_id(dashboard: str, tile: str, tag: str) -> str:
    return str(uuid.uuid5(_TAG_NAMESPACE, f"{dashboard}/{tile}/{tag}"))


def _parameter_id(dashboard: str, tag: str) -> str:
    return hashlib.sha1(f"{dashboard}:{tag}".encode()).hexdigest()[:8]


def template_tags(dash: Dashboard, tile: Tile, native: NativeQuery) -> dict[str, dict[str, Any]]:
    kinds = _tag_kinds(dash.filters)
    tags = {}
    for name in native.tags:
        kind, label = kinds[name]
        tags[name] = {
            "id": _tag_id(dash.name, tile.id, name),
            "name": name,
            "display-name": label,
            "type": "text" if kind == "select" else "date",
            "required": False,
        }
    return tags


def dashboard_parameters(dash: Dashboard) -> list[dict[str, Any]]:
    params = []
    for name, (kind, label) in _tag_kinds(dash.filters).items():
        select = kind == "select"
        params.append(
            {
                "id": _parameter_id(dash.name, name),
                "name": label,
                "slug": name,
                "type": "string/=" if select else "date/single",
                "sectionId": "string" if select else "date",
            }
        )
    return params


def _column_format(spec: str) -> dict[str, Any]:
    """A d3-format string as Metabase column settings (the common cases)."""
    settings: dict[str, Any] = {}
    if "$" in spec:
        settings |= {"number_style": "currency", "currency": "USD"}
    if spec.endswith("%"):
        settings["number_style"] = "percent"
    m = re.search(r"\.(\d+)[f%]", spec)
    if m:
        settings["decimals"] = int(m.group(1))
    elif spec.endswith("d"):
        settings["decimals"] = 0
    return settings


def display_of(tile: Tile) -> tuple[str, dict[str, Any]]:
    """Metabase `display` and `visualization_settings` for a tile."""
    viz: dict[str, Any] = {}
    if tile.type == "kpi":
        # a scalar shows one number: only when the tile declares a single column
        display = "scalar" if len(tile.formats) == 1 else "table"
    elif tile.type in ("line", "bar", "area"):
        display = "row" if tile.type == "bar" and tile.horizontal else tile.type
        ys = [tile.y] if isinstance(tile.y, str) else list(tile.y or [])
        viz["graph.dimensions"] = [c for c in (tile.x, tile.color) if c]
        viz["graph.metrics"] = ys
    elif tile.type == "pivot":
        display = "table"
        viz |= {"table.pivot": True, "table.pivot_column": tile.columns,
                "table.cell_column": tile.values}  # fmt: skip
    else:
        display = DISPLAY.get(tile.type, "table")
    columns = {
        json.dumps(["name", col], separators=(",", ":")): s for col, spec in tile.formats.items()
        if (s := _column_format(spec))
    }  # fmt: skip
    if columns:
        viz["column_settings"] = columns
    return display, viz


def _marker(key: str) -> str:
    return (
        f"Managed by histar [histar:{key}]: edit the YAML definition and run "
        "`histar metabase sync`; changes made here are overwritten."
    )


def card_payload(
    dash: Dashboard, tile: Tile, database_id: int, collection_id: int, ops_schema: str = "ops"
) -> dict[str, Any]:
    native = to_native(tile.sql, dash.filters, ops_schema)
    display, viz = display_of(tile)
    description = "\n\n".join(p for p in (tile.description, _marker(f"{dash.name}/{tile.id}")) if p)
    return {
        "name": tile.title,
        "description": description,
        "type": "question",
        "display": display,
        "visualization_settings": viz,
        "collection_id": collection_id,
        "dataset_query": {
            "type": "native",
            "database": database_id,
            "native": {"query": native.query, "template-tags": template_tags(dash, tile, native)},
        },
    }


def layout(tiles: list[Tile]) -> list[tuple[int, int, int, int]]:
    """(row, col, size_x, size_y) per tile: left to right, wrapping at the grid width."""
    out, row, col, row_height = [], 0, 0, 0
    for t in tiles:
        size_x = max(1, min(12, t.width)) * GRID_COLUMNS // 12
        size_y = HEIGHT.get(t.type, 6)
        if col + size_x > GRID_COLUMNS:
            row, col, row_height = row + row_height, 0, 0
        out.append((row, col, size_x, size_y))
        col += size_x
        row_height = max(row_height, size_y)
    return out


# ---------------------------------------------------------------- warehouse connection


def database_details(
    config: ProjectConfig, *, db_host: str | None = None, duckdb_file: str | None = None
) -> tuple[str, dict[str, Any], list[str]]:
    """(engine, details, secrets) for the warehouse as Metabase should reach it."""
    from histar.warehouse.connection import dialect_of, duckdb_path

    url = config.warehouse.url
    try:
        dialect = dialect_of(url)
    except ValueError as exc:
        raise MetabaseError(str(exc)) from None
    if dialect == "duckdb":
        path = duckdb_file or str(duckdb_path(url, config.project_dir).resolve())
        return "duckdb", {"database_file": path, "read_only": True}, []
    parts = urlsplit(url)
    password = unquote(parts.password or "")
    host, port = parts.hostname or "localhost", parts.port or 5432
    if db_host:
        h, _, p = db_host.partition(":")
        host, port = h or host, int(p) if p else port
    query = parse_qs(parts.query)
    details = {
        "host": host,
        "port": port,
        "dbname": parts.path.lstrip("/") or "postgres",
        "user": unquote(parts.username or "postgres"),
        "password": password,
        "ssl": query.get("sslmode", ["disable"])[0] not in ("disable", "allow", "prefer"),
        # only the published layer: dashboards read star_schema
        "schema-filters-type": "inclusion",
        "schema-filters-patterns": config.warehouse.star_schema,
    }
    return "postgres", details, [password]


# ---------------------------------------------------------------- HTTP client


class MetabaseClient:
    """A thin JSON client; errors become one-line `MetabaseError`s with secrets redacted."""

    def __init__(self, url: str, *, timeout: float = 30, transport: Any = None) -> None:
        self.url = url.rstrip("/")
        self.secrets: list[str] = []
        self.http = httpx.Client(
            base_url=self.url, timeout=timeout, transport=transport,
            headers={"Accept": "application/json"},
        )  # fmt: skip

    def close(self) -> None:
        self.http.close()

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)

    def request(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        try:
            r = self.http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise MetabaseError(
                self._clean(f"cannot reach Metabase at {self.url}: {exc}")
            ) from None
        log.info("%s %s → %s", method, path, r.status_code)
        if r.status_code >= 400:
            raise MetabaseError(self._clean(f"{method} {path}: {_error_text(r)}"), r.status_code)
        if not r.content:
            return None
        try:
            return r.json()
        except ValueError:
            return r.text

    def get(self, path: str, params: Any = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def authenticate(self, env: Mapping[str, str], site_name: str) -> str:
        """Sign in; returns how ("api key", "login" or "setup")."""
        api_key = env.get("MB_API_KEY", "")
        email, password = env.get("MB_ADMIN_EMAIL", ""), env.get("MB_ADMIN_PASSWORD", "")
        self.secrets += [s for s in (api_key, password) if s]
        if not api_key and not (email and password):
            raise MetabaseError(
                "set MB_API_KEY, or MB_ADMIN_EMAIL and MB_ADMIN_PASSWORD, in the environment "
                "or the project's .env"
            )
        if api_key:
            self.http.headers["X-API-Key"] = api_key
        props = self.get("/api/session/properties")
        if api_key:
            how = "api key"
        elif not props.get("has-user-setup", True) and props.get("setup-token"):
            session = self.post("/api/setup", {
                "token": props["setup-token"],
                "user": {
                    "first_name": env.get("MB_ADMIN_FIRST_NAME", "histar"),
                    "last_name": env.get("MB_ADMIN_LAST_NAME", "admin"),
                    "email": email,
                    "password": password,
                },
                "prefs": {"site_name": site_name, "allow_tracking": False},
            })  # fmt: skip
            how = "setup"
            self._use_session(session)
        else:
            try:
                session = self.post("/api/session", {"username": email, "password": password})
            except MetabaseError as exc:
                if exc.status not in (400, 401, 403):
                    raise
                raise MetabaseError(
                    f"Metabase at {self.url} rejected the login of {email}: check "
                    f"MB_ADMIN_EMAIL and MB_ADMIN_PASSWORD ({exc})"
                ) from None
            how = "login"
            self._use_session(session)
        try:
            self.get("/api/user/current")
        except MetabaseError as exc:
            what = "MB_API_KEY" if api_key else "the session"
            raise MetabaseError(f"Metabase at {self.url} does not accept {what} ({exc})") from None
        self.engines = set((props.get("engines") or {}).keys())
        return how

    def _use_session(self, session: Any) -> None:
        sid = session.get("id") if isinstance(session, dict) else None
        if not sid:
            raise MetabaseError("Metabase answered without a session id")
        self.secrets.append(str(sid))
        self.http.headers["X-Metabase-Session"] = str(sid)


def _error_text(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        body = r.text.strip()[:200]
    if isinstance(body, dict):
        if isinstance(body.get("errors"), dict) and body["errors"]:
            body = "; ".join(f"{k}: {v}" for k, v in body["errors"].items())
        else:
            body = body.get("message") or json.dumps(body)[:200]
    return f"HTTP {r.status_code} {body}".strip()


def _items(data: Any) -> list[dict[str, Any]]:
    """Metabase lists come bare or as {"data": [...], "total": n} depending on version."""
    if isinstance(data, dict):
        data = data.get("data", [])
    return list(data or [])


# ---------------------------------------------------------------- sync


@dataclass
class DashboardResult:
    name: str
    id: int
    url: str
    created: bool
    cards_created: int = 0
    cards_updated: int = 0
    cards_archived: int = 0


@dataclass
class SyncResult:
    url: str
    signed_in_by: str
    database_id: int
    database_name: str
    engine: str
    collection_id: int
    dashboards: list[DashboardResult] = field(default_factory=list)
    archived_dashboards: list[str] = field(default_factory=list)


def sync(
    config: ProjectConfig,
    *,
    url: str | None = None,
    dashboard: str | None = None,
    definitions: list[Any] | None = None,
    env: Mapping[str, str] | None = None,
    db_host: str | None = None,
    duckdb_file: str | None = None,
    transport: Any = None,
) -> SyncResult:
    """Create or update the project's dashboards in Metabase; see the module docstring."""
    env = environment(config.project_dir) if env is None else env
    url = url or env.get("MB_URL") or DEFAULT_URL
    dashboards = [to_dashboard(d) for d in definitions] if definitions is not None else (
        load_definitions(config)
    )  # fmt: skip
    if dashboard:
        known = ", ".join(d.name for d in dashboards) or "none"
        dashboards = [d for d in dashboards if d.name == dashboard]
        if not dashboards:
            raise MetabaseError(f"no dashboard named {dashboard!r} (known: {known})")
    if not dashboards:
        raise MetabaseError("no dashboard definitions found")
    engine, details, secrets = database_details(config, db_host=db_host, duckdb_file=duckdb_file)

    client = MetabaseClient(url, transport=transport)
    client.secrets += [s for s in secrets if s]
    try:
        how = client.authenticate(env, site_name=config.name)
        if engine == "duckdb" and "duckdb" not in client.engines:
            raise MetabaseError(
                "this Metabase has no DuckDB driver: add duckdb.metabase-driver.jar to its "
                "plugins folder (not in the Alpine image), or use a PostgreSQL warehouse "
                "(see docs/metabase.md)"
            )
        db_name = f"{config.name} warehouse"
        db_id = _upsert_database(client, db_name, engine, details)
        client.post(f"/api/database/{db_id}/sync_schema")
        collection_id = _upsert_collection(client, config.name)
        result = SyncResult(client.url, how, db_id, db_name, engine, collection_id)

        items = _items(client.get(
            f"/api/collection/{collection_id}/items", params={"models": ["card", "dashboard"]}
        ))  # fmt: skip
        cards: dict[str, int] = {}
        boards: dict[str, int] = {}
        for item in items:
            model = item.get("model")
            if model not in ("card", "dashboard"):
                continue
            description = item.get("description")
            if "description" not in item:  # not every version lists it: ask the item itself
                description = client.get(f"/api/{model}/{item['id']}").get("description")
            m = MARKER.search(description or "")
            if m:
                (cards if model == "card" else boards).setdefault(m.group(1), item["id"])

        ops = config.warehouse.ops_schema
        for dash in dashboards:
            result.dashboards.append(
                _sync_dashboard(client, dash, db_id, collection_id, cards, boards, ops)
            )
        if dashboard is None:  # full sync: definitions that are gone go to the trash
            wanted = {d.name for d in dashboards}
            for key, card_id in cards.items():
                if key.split("/", 1)[0] not in wanted:
                    client.put(f"/api/card/{card_id}", {"archived": True})
            for key, dash_id in boards.items():
                if key not in wanted:
                    client.put(f"/api/dashboard/{dash_id}", {"archived": True})
                    result.archived_dashboards.append(key)
        return result
    finally:
        client.close()


def _upsert_database(client: MetabaseClient, name: str, engine: str, details: dict) -> int:
    body = {"name": name, "engine": engine, "details": details}
    for db in _items(client.get("/api/database")):
        if db.get("name") == name:
            client.put(f"/api/database/{db['id']}", body)
            return int(db["id"])
    return int(client.post("/api/database", body)["id"])


def _upsert_collection(client: MetabaseClient, name: str) -> int:
    for c in _items(client.get("/api/collection")):
        top_level = c.get("location") in (None, "/")
        mine = c.get("name") == name and top_level and not c.get("personal_owner_id")
        if mine and isinstance(c.get("id"), int):  # the root collection's id is "root"
            return c["id"]
    body = {"name": name, "description": _marker(name), "parent_id": None}
    return int(client.post("/api/collection", body)["id"])


def _sync_dashboard(
    client: MetabaseClient,
    dash: Dashboard,
    db_id: int,
    collection_id: int,
    cards: dict[str, int],
    boards: dict[str, int],
    ops_schema: str,
) -> DashboardResult:
    parameters = dashboard_parameters(dash)
    param_ids = {p["slug"]: p["id"] for p in parameters}
    meta = {
        "name": dash.title,
        "description": "\n\n".join(p for p in (dash.description, _marker(dash.name)) if p),
        "collection_id": collection_id,
        "parameters": parameters,
    }
    dash_id = boards.get(dash.name)
    created = dash_id is None
    if dash_id is None:
        dash_id = int(client.post("/api/dashboard", meta)["id"])
    current = client.get(f"/api/dashboard/{dash_id}")
    old_dashcards = {dc.get("card_id"): dc["id"] for dc in current.get("dashcards") or []}
    old_tabs = {t.get("name"): t["id"] for t in current.get("tabs") or []}
    res = DashboardResult(dash.name, dash_id, f"{client.url}/dashboard/{dash_id}", created)

    # questions first: the dashcards need their ids
    card_ids: dict[str, int] = {}
    for tile in dash.tiles():
        key = f"{dash.name}/{tile.id}"
        body = card_payload(dash, tile, db_id, collection_id, ops_schema)
        if key in cards:
            client.put(f"/api/card/{cards[key]}", body)
            card_ids[tile.id] = cards[key]
            res.cards_updated += 1
        else:
            card_ids[tile.id] = int(client.post("/api/card", body)["id"])
            cards[key] = card_ids[tile.id]
            res.cards_created += 1

    multi_tab = len(dash.tabs) > 1
    tabs = []
    dashcards = []
    new_id = -1
    for i, tab in enumerate(dash.tabs):
        tab_id = old_tabs.get(tab.title) if multi_tab else None
        if multi_tab and tab_id is None:
            tab_id = -(i + 1)
        if multi_tab:
            tabs.append({"id": tab_id, "name": tab.title or f"Tab {i + 1}"})
        for tile, (row, col, sx, sy) in zip(tab.tiles, layout(tab.tiles), strict=True):
            card_id = card_ids[tile.id]
            dc_id = old_dashcards.get(card_id)
            if dc_id is None:
                dc_id, new_id = new_id, new_id - 1
            tags = to_native(tile.sql, dash.filters, ops_schema).tags
            dashcards.append({
                "id": dc_id, "card_id": card_id, "dashboard_tab_id": tab_id,
                "row": row, "col": col, "size_x": sx, "size_y": sy,
                "series": [], "visualization_settings": {},
                "parameter_mappings": [
                    {"parameter_id": param_ids[t], "card_id": card_id,
                     "target": ["variable", ["template-tag", t]]}
                    for t in tags
                ],
            })  # fmt: skip
    body = {**meta, "dashcards": dashcards}
    if multi_tab or old_tabs:
        body["tabs"] = tabs
    client.put(f"/api/dashboard/{dash_id}", body)

    # tiles that left the definition: their dashcards are gone with the PUT; archive the cards
    keep = {f"{dash.name}/{t.id}" for t in dash.tiles()}
    for key in [k for k in cards if k.split("/", 1)[0] == dash.name and k not in keep]:
        client.put(f"/api/card/{cards.pop(key)}", {"archived": True})
        res.cards_archived += 1
    return res
