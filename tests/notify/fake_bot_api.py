"""A local HTTP server that answers `sendMessage` the way the Telegram Bot API documents it.

- `POST /bot<token>/sendMessage` with a JSON body: `chat_id`, `text` (1-4096 characters),
  optional `parse_mode` ("HTML" is validated: only Telegram's tags, properly nested).
- `{"ok": true, "result": {...Message...}}` on success;
  `{"ok": false, "error_code": 401, "description": "Unauthorized"}` for a wrong token;
  400 "Bad Request: chat not found" for an unknown chat; 429 with `parameters.retry_after`.
- `script` queues special answers for the next requests: ("429", seconds), ("500",),
  ("hang",) (accept, never answer), ("drop",) (close the connection).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "7301234567:AAH-secret-TEST-token_zyxwvutsrqponm"
CHAT_ID = "-1001234567890"
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}


class _Entities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'unexpected end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_entities(text: str) -> tuple[str, str | None]:
    p = _Entities()
    p.feed(text)
    p.close()
    if p.stack and not p.error:
        p.error = f'can\'t find end tag corresponding to start tag "{p.stack[-1]}"'
    return "".join(p.text), p.error


class FakeBotAPI:
    def __init__(self, token: str = TOKEN, chat_id: str = CHAT_ID) -> None:
        self.token = token
        self.chat_id = chat_id
        self.messages: list[dict[str, Any]] = []  # accepted sendMessage bodies
        self.requests: list[str] = []  # paths of every request, in order
        self.answers: list[int] = []  # HTTP status of every answer
        self.other: list[tuple[str, bytes]] = []  # requests to other paths (e.g. Apprise)
        self.script: deque[tuple[Any, ...]] = deque()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeBotAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                with api._lock:
                    api.answers.append(status)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, code: int, description: str, **extra: Any) -> None:
                self._answer(
                    code, {"ok": False, "error_code": code, "description": description, **extra}
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with api._lock:
                    api.requests.append(self.path)
                    action = api.script.popleft() if api.script else None
                if not self.path.startswith("/bot"):
                    with api._lock:
                        api.other.append((self.path, raw))
                    self._answer(200, {"ok": True})
                    return
                if action is not None:
                    if action[0] == "hang":
                        api.stopping.wait(30)
                        self.close_connection = True
                        return
                    if action[0] == "drop":
                        self.close_connection = True
                        self.connection.close()
                        return
                    if action[0] == "500":
                        self._error(500, "Internal Server Error")
                        return
                    if action[0] == "429":
                        n = action[1]
                        self._error(
                            429, f"Too Many Requests: retry after {n}",
                            parameters={"retry_after": n},
                        )  # fmt: skip
                        return
                token, _, method = self.path[len("/bot") :].partition("/")
                if token != api.token:
                    self._error(401, "Unauthorized")
                    return
                if method != "sendMessage":
                    self._error(404, "Not Found")
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._error(400, "Bad Request: invalid JSON")
                    return
                if str(body.get("chat_id")) != api.chat_id:
                    self._error(400, "Bad Request: chat not found")
                    return
                text = body.get("text") or ""
                parse_mode = body.get("parse_mode")
                if parse_mode not in (None, "HTML"):
                    self._error(400, f"Bad Request: unsupported parse_mode {parse_mode}")
                    return
                shown, problem = parse_entities(text) if parse_mode == "HTML" else (text, None)
                if problem:
                    self._error(400, f"Bad Request: can't parse entities: {problem}")
                    return
                if not shown.strip():
                    self._error(400, "Bad Request: message text is empty")
                    return
                if len(shown) > 4096 or len(text) > 4096:
                    self._error(400, "Bad Request: message is too long")
                    return
                with api._lock:
                    api.messages.append(body)
                    message_id = len(api.messages)
                self._answer(
                    200,
                    {
                        "ok": True,
                        "result": {
                            "message_id": message_id,
                            "chat": {"id": int(api.chat_id), "type": "supergroup"},
                            "date": 1_700_000_000,
                            "text": shown,
                        },
                    },
                )

        return Handler


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
