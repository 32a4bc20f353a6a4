"""A small, stateful Metabase on 127.0.0.1 for `histar metabase sync` tests.

It implements the endpoints histar uses the way Metabase documents them and rejects
payloads Metabase would reject (400 with {"errors": {...}}), so a test passing here means the
requests are well-formed, not merely that some code ran:

- `GET /api/session/properties` (public): `setup-token` (kept after setup, as Metabase does),
  `has-user-setup`, `engines`, `version`.
- `POST /api/setup`: only while no user exists, only with the right token → `{"id": session}`.
- `POST /api/session` → `{"id": session}` or 401; every other endpoint needs
  `X-Metabase-Session` or `X-API-Key`, else 401 "Unauthenticated".
- `/api/database` (GET lists as {"data": [...], "total": n}), `POST`, `PUT /:id`,
  `POST /:id/sync_schema`; `/api/collection` (GET, POST, `GET /:id/items`);
  `/api/card` (POST, GET/PUT `/:id`); `/api/dashboard` (POST, GET/PUT `/:id`; `dashcards` and
  `tabs` replace the whole set, negative ids mean create).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_\.]+)\s*\}\}")
GRID = 24


class Invalid(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


def _bad(field: str, msg: str) -> Invalid:
    return Invalid(400, {"errors": {field: msg}})


def _need(obj: dict, key: str, types: type | tuple[type, ...], where: str = "") -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise _bad(f"{where}{key}", "required")
    value = obj[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
        raise _bad(f"{where}{key}", f"must be {types}")
    return value


def _tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


class FakeMetabase:
    """Start with `with FakeMetabase() as mb:`; `mb.url` is the base URL."""

    def __init__(
        self,
        *,
        admin: tuple[str, str] | None = None,
        api_keys: tuple[str, ...] = (),
        engines: tuple[str, ...] = ("postgres", "h2"),
        items_have_description: bool = True,
    ) -> None:
        self.items_have_description = items_have_description
        self.lock = threading.Lock()
        self.setup_token = str(uuid.uuid4())
        self.users: dict[str, str] = dict([admin]) if admin else {}
        self.api_keys = set(api_keys)
        self.sessions: set[str] = set()
        self.engines = engines
        self.databases: dict[int, dict] = {}
        self.collections: dict[int, dict] = {}
        self.cards: dict[int, dict] = {}
        self.dashboards: dict[int, dict] = {}
        self.syncs: list[int] = []
        self.log: list[tuple[str, str, dict[str, str], str]] = []  # method, path, headers, body
        self.setup_calls = 0
        self._ids = {"database": 0, "collection": 0, "card": 0, "dashboard": 0, "dashcard": 0,
                     "tab": 0}  # fmt: skip
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeMetabase:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    # ------------------------------------------------------------ HTTP plumbing

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                fake.log.append((method, parts.path, dict(self.headers), raw))
                try:
                    body = json.loads(raw) if raw else None
                    with fake.lock:
                        status, out = fake.route(method, parts.path, parse_qs(parts.query),
                                                 body, self.headers)  # fmt: skip
                except Invalid as exc:
                    status, out = exc.status, exc.body
                except json.JSONDecodeError:
                    status, out = 400, {"message": "malformed JSON"}
                data = out.encode() if isinstance(out, str) else json.dumps(out).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(out, str) else "application/json"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

        return Handler

    # ------------------------------------------------------------ routing

    def route(self, method: str, path: str, query: dict, body: Any, headers: Any) -> tuple:
        path = path.rstrip("/")
        if (method, path) == ("GET", "/api/session/properties"):
            return 200, {
                "setup-token": self.setup_token,
                "has-user-setup": bool(self.users),
                "engines": {e: {"driver-name": e} for e in self.engines},
                "version": {"tag": "v0.56.0"},
            }
        if (method, path) == ("POST", "/api/setup"):
            return self.setup(body or {})
        if (method, path) == ("POST", "/api/session"):
            return self.login(body or {})
        if not self.authenticated(headers):
            return 401, "Unauthenticated"
        if (method, path) == ("GET", "/api/user/current"):
            return 200, {"id": 1, "email": next(iter(self.users), "api@key"), "is_superuser": True}

        m = re.fullmatch(r"/api/(database|collection|card|dashboard)(?:/(\d+))?(?:/(\w+))?", path)
        if not m:
            return 404, "API endpoint does not exist."
        kind, ident, action = m.group(1), m.group(2), m.group(3)
        name = f"{method.lower()}_{kind}{'_id' if ident else ''}{'_' + action if action else ''}"
        handler = getattr(self, name, None)
        if handler is None:
            return 404, "API endpoint does not exist."
        args: list[Any] = [int(ident)] if ident else []
        if method in ("POST", "PUT") and not action:
            if not isinstance(body, dict):
                raise _bad("body", "must be a JSON object")
            args.append(body)
        if action == "items":
            args.append(query)
        return handler(*args)

    def authenticated(self, headers: Any) -> bool:
        return (headers.get("X-Metabase-Session") in self.sessions
                or headers.get("X-API-Key") in self.api_keys)  # fmt: skip

    def _session(self) -> dict:
        sid = str(uuid.uuid4())
        self.sessions.add(sid)
        return {"id": sid}

    def setup(self, body: dict) -> tuple:
        self.setup_calls += 1
        if self.users:
            return 403, {
                "message": "The /api/setup route can only be used to create the first user."
            }
        if body.get("token") != self.setup_token:
            raise _bad("token", "Token does not match the setup token.")
        user = _need(body, "user", dict)
        email = _need(user, "email", str, "user.")
        if "@" not in email:
            raise _bad("user.email", "value must be a valid email address.")
        password = _need(user, "password", str, "user.")
        if len(password) < 6:
            raise _bad("user.password", "password is too common.")
        for key in ("first_name", "last_name"):
            if user.get(key) is not None and not (isinstance(user[key], str) and user[key]):
                raise _bad(f"user.{key}", "nullable value must be a non-blank string.")
        prefs = _need(body, "prefs", dict)
        _need(prefs, "site_name", str, "prefs.")
        self.users[email] = password
        return 200, self._session()

    def login(self, body: dict) -> tuple:
        username = _need(body, "username", str)
        password = _need(body, "password", str)
        if self.users.get(username) != password:
            return 401, {"errors": {"password": "did not match stored password"}}
        return 200, self._session()

    # ------------------------------------------------------------ databases

    def _db_out(self, db: dict) -> dict:
        details = dict(db["details"])
        if "password" in details:
            details["password"] = "**MetabasePass**"
        return {**db, "details": details}

    def _check_db(self, body: dict) -> None:
        _need(body, "name", str)
        engine = _need(body, "engine", str)
        if engine not in self.engines:
            raise _bad("engine", "value must be a valid database engine.")
        details = _need(body, "details", dict)
        if engine == "postgres":
            for key, types in (("host", str), ("port", int), ("dbname", str), ("user", str)):
                _need(details, key, types, "details.")
        if engine == "duckdb":
            _need(details, "database_file", str, "details.")

    def get_database(self) -> tuple:
        dbs = [self._db_out(d) for d in self.databases.values()]
        return 200, {"data": dbs, "total": len(dbs)}

    def post_database(self, body: dict) -> tuple:
        self._check_db(body)
        db = {"id": self._next("database"), "name": body["name"], "engine": body["engine"],
              "details": body["details"]}  # fmt: skip
        self.databases[db["id"]] = db
        return 200, self._db_out(db)

    def put_database_id(self, ident: int, body: dict) -> tuple:
        if ident not in self.databases:
            return 404, "Not found."
        self._check_db(body)
        self.databases[ident].update(body)
        return 200, self._db_out(self.databases[ident])

    def post_database_id_sync_schema(self, ident: int) -> tuple:
        if ident not in self.databases:
            return 404, "Not found."
        self.syncs.append(ident)
        return 200, {"status": "ok"}

    # ------------------------------------------------------------ collections

    def get_collection(self) -> tuple:
        root = {"id": "root", "name": "Our analytics", "location": None}
        return 200, [root, *[c for c in self.collections.values() if not c["archived"]]]

    def post_collection(self, body: dict) -> tuple:
        name = _need(body, "name", str)
        parent = body.get("parent_id")
        if parent is not None and parent not in self.collections:
            raise _bad("parent_id", "no such collection")
        loc = "/" if parent is None else f"{self.collections[parent]['location']}{parent}/"
        c = {"id": self._next("collection"), "name": name, "location": loc, "archived": False,
             "description": body.get("description"), "personal_owner_id": None}  # fmt: skip
        self.collections[c["id"]] = c
        return 200, c

    def get_collection_id_items(self, ident: int, query: dict) -> tuple:
        if ident not in self.collections:
            return 404, "Not found."
        models = query.get("models") or ["card", "dashboard"]
        items = []
        for model, store in (("card", self.cards), ("dashboard", self.dashboards)):
            if model not in models:
                continue
            for obj in store.values():
                if obj["collection_id"] == ident and not obj["archived"]:
                    item = {"id": obj["id"], "model": model, "name": obj["name"]}
                    if self.items_have_description:
                        item["description"] = obj.get("description")
                    items.append(item)
        return 200, {"data": items, "total": len(items), "models": models}

    # ------------------------------------------------------------ cards

    def _check_card(self, body: dict, partial: bool) -> None:
        for key, types in (("name", str), ("display", str), ("visualization_settings", dict),
                           ("dataset_query", dict)):  # fmt: skip
            if not partial or key in body:
                _need(body, key, types)
        if (
            "collection_id" in body
            and body["collection_id"] is not None
            and (body["collection_id"] not in self.collections)
        ):
            raise _bad("collection_id", "no such collection")
        if "archived" in body:
            _need(body, "archived", bool)
        if "dataset_query" not in body:
            return
        dq = body["dataset_query"]
        if _need(dq, "type", str, "dataset_query.") != "native":
            raise _bad("dataset_query.type", "histar only makes native questions")
        if _need(dq, "database", int, "dataset_query.") not in self.databases:
            raise _bad("dataset_query.database", "no such database")
        native = _need(dq, "native", dict, "dataset_query.")
        query = _need(native, "query", str, "dataset_query.native.")
        tags = _need(native, "template-tags", dict, "dataset_query.native.")
        where = "dataset_query.native.template-tags"
        for name in set(VARIABLE.findall(query)):
            if name not in tags:
                raise _bad(where, f"{{{{{name}}}}} is not declared")
        for name, tag in tags.items():
            for key in ("id", "name", "display-name", "type"):
                _need(tag, key, str, f"{where}.{name}.")
            if tag["name"] != name:
                raise _bad(f"{where}.{name}.name", "must equal its key")
            if tag["type"] not in ("text", "number", "date", "dimension", "card", "snippet"):
                raise _bad(f"{where}.{name}.type", "unknown tag type")
        if query.count("[[") != query.count("]]"):
            raise _bad("dataset_query.native.query", "unbalanced [[ ]]")

    def post_card(self, body: dict) -> tuple:
        self._check_card(body, partial=False)
        card = {**body, "id": self._next("card"), "archived": False}
        self.cards[card["id"]] = card
        return 200, card

    def get_card_id(self, ident: int) -> tuple:
        return (200, self.cards[ident]) if ident in self.cards else (404, "Not found.")

    def put_card_id(self, ident: int, body: dict) -> tuple:
        if ident not in self.cards:
            return 404, "Not found."
        self._check_card(body, partial=True)
        self.cards[ident].update(body)
        return 200, self.cards[ident]

    # ------------------------------------------------------------ dashboards

    def _check_parameters(self, params: Any) -> None:
        if not isinstance(params, list):
            raise _bad("parameters", "must be a sequence")
        for i, p in enumerate(params):
            for key in ("id", "name", "slug", "type"):
                _need(p, key, str, f"parameters[{i}].")

    def post_dashboard(self, body: dict) -> tuple:
        _need(body, "name", str)
        self._check_parameters(body.get("parameters", []))
        d = {"id": self._next("dashboard"), "name": body["name"],
             "description": body.get("description"), "collection_id": body.get("collection_id"),
             "parameters": body.get("parameters", []), "dashcards": [], "tabs": [],
             "archived": False}  # fmt: skip
        self.dashboards[d["id"]] = d
        return 200, d

    def get_dashboard_id(self, ident: int) -> tuple:
        return (200, self.dashboards[ident]) if ident in self.dashboards else (404, "Not found.")

    def put_dashboard_id(self, ident: int, body: dict) -> tuple:
        if ident not in self.dashboards:
            return 404, "Not found."
        d = self.dashboards[ident]
        if "name" in body:
            _need(body, "name", str)
        if "archived" in body:
            _need(body, "archived", bool)
        params = body.get("parameters", d["parameters"])
        self._check_parameters(params)
        tabs, tab_ids = d["tabs"], {t["id"]: t["id"] for t in d["tabs"]}
        if "tabs" in body:
            tabs, tab_ids = self._replace_tabs(d, body["tabs"])
        dashcards = d["dashcards"]
        if "dashcards" in body:
            dashcards = self._replace_dashcards(d, body["dashcards"], params, tab_ids)
        elif "tabs" in body:
            dashcards = [dc for dc in dashcards if dc.get("dashboard_tab_id") in tab_ids.values()]
        d.update({k: v for k, v in body.items() if k not in ("dashcards", "tabs")})
        d["parameters"], d["tabs"], d["dashcards"] = params, tabs, dashcards
        return 200, d

    def _replace_tabs(self, d: dict, tabs: Any) -> tuple[list, dict]:
        if not isinstance(tabs, list):
            raise _bad("tabs", "must be a sequence")
        existing = {t["id"] for t in d["tabs"]}
        out, ids = [], {}
        for i, t in enumerate(tabs):
            tid = _need(t, "id", int, f"tabs[{i}].")
            name = _need(t, "name", str, f"tabs[{i}].")
            if tid > 0 and tid not in existing:
                raise _bad(f"tabs[{i}].id", "not a tab of this dashboard")
            ids[tid] = tid if tid > 0 else self._next("tab")
            out.append({"id": ids[tid], "name": name, "position": i})
        return out, ids

    def _replace_dashcards(self, d: dict, dashcards: Any, params: list, tab_ids: dict) -> list:
        if not isinstance(dashcards, list):
            raise _bad("dashcards", "must be a sequence")
        existing = {dc["id"] for dc in d["dashcards"]}
        param_ids = {p["id"] for p in params}
        out = []
        for i, dc in enumerate(dashcards):
            w = f"dashcards[{i}]."
            did = _need(dc, "id", int, w)
            if did > 0 and did not in existing:
                raise _bad(f"{w}id", "not a dashcard of this dashboard")
            card_id = _need(dc, "card_id", int, w)
            if card_id not in self.cards or self.cards[card_id]["archived"]:
                raise _bad(f"{w}card_id", "no such card")
            row, col = _need(dc, "row", int, w), _need(dc, "col", int, w)
            sx, sy = _need(dc, "size_x", int, w), _need(dc, "size_y", int, w)
            if row < 0 or col < 0 or sx < 1 or sy < 1 or col + sx > GRID:
                raise _bad(f"{w}size_x", "outside the 24-column grid")
            tab = dc.get("dashboard_tab_id")
            if tab_ids and tab not in tab_ids:
                raise _bad(f"{w}dashboard_tab_id", "the dashboard has tabs: name one of them")
            if not tab_ids and tab is not None:
                raise _bad(f"{w}dashboard_tab_id", "no such tab")
            tags = self.cards[card_id]["dataset_query"]["native"]["template-tags"]
            mappings = dc.get("parameter_mappings") or []
            if not isinstance(mappings, list):
                raise _bad(f"{w}parameter_mappings", "must be a sequence")
            for j, pm in enumerate(mappings):
                pw = f"{w}parameter_mappings[{j}]."
                if _need(pm, "parameter_id", str, pw) not in param_ids:
                    raise _bad(f"{pw}parameter_id", "not a parameter of this dashboard")
                if _need(pm, "card_id", int, pw) != card_id:
                    raise _bad(f"{pw}card_id", "must be the dashcard's card")
                target = _need(pm, "target", list, pw)
                ok = (len(target) == 2 and target[0] in ("variable", "dimension")
                      and isinstance(target[1], list) and target[1][:1] == ["template-tag"]
                      and len(target[1]) == 2 and target[1][1] in tags)  # fmt: skip
                if not ok:
                    raise _bad(f"{pw}target", f"not a template tag of card {card_id}: {target}")
            new_id = did if did > 0 else self._next("dashcard")
            out.append({**dc, "id": new_id, "dashboard_id": d["id"],
                        "dashboard_tab_id": tab_ids.get(tab) if tab_ids else None})  # fmt: skip
        return out
