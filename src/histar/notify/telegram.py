"""A small Telegram Bot API client: `sendMessage` with splitting, 429 handling and a time bound.

The bot token is part of every request URL, so it is kept out of everything people see:
httpx's request log lines are redacted by a logging filter, and transport errors are
re-raised as `TelegramError` with the token removed and the original chain suppressed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

import httpx

from histar.config.loader import redact

log = logging.getLogger(__name__)

MAX_LENGTH = 4096
_TAG = re.compile(r"<(/?)([a-z\-]+)[^>]*>", re.IGNORECASE)


class TelegramError(Exception):
    """A message could not be delivered; the text never contains the bot token."""

    def __init__(
        self, message: str, *, status: int | None = None, description: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.description = description


# -- keep tokens out of logs ----------------------------------------------------------------

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class RedactSecrets(logging.Filter):
    """Replaces registered secrets in a log record's message and traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = list(_SECRETS)
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        if any(s in message for s in secrets):
            record.msg, record.args = redact(message, secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and any(s in record.exc_text for s in secrets):
            record.exc_text = redact(record.exc_text, secrets)
        return True


_FILTER = RedactSecrets()


def protect_secret(secret: str) -> None:
    """Register a secret to be redacted from the HTTP client loggers (idempotent)."""
    if not secret:
        return
    with _SECRETS_LOCK:
        _SECRETS.add(secret)
        for name in _HTTP_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)


# -- splitting ------------------------------------------------------------------------------


def _open_tags(text: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The HTML tags still open after `text`, given those open before it."""
    stack = list(stack)
    for m in _TAG.finditer(text):
        name = m.group(2).lower()
        if m.group(1):
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, m.group(0)))
    return stack


def _cut(line: str, size: int) -> list[str]:
    """Hard-split an over-long line without cutting through a tag or an entity."""
    pieces = []
    while len(line) > size:
        at = size
        lt, amp = line.rfind("<", 0, at), line.rfind("&", 0, at)
        if lt > line.rfind(">", 0, at) and lt > 0:
            at = lt
        elif amp > line.rfind(";", 0, at) and amp > 0 and at - amp < 10:
            at = amp
        pieces.append(line[:at])
        line = line[at:]
    return [*pieces, line]


def split_message(text: str, limit: int = MAX_LENGTH) -> list[str]:
    """Split HTML text into parts of at most `limit` characters, on line boundaries.

    Tags open at a cut (e.g. a `<pre>` block) are closed at the end of one part and
    re-opened at the start of the next, so every part is valid HTML on its own.
    """
    if len(text) <= limit:
        return [text]
    budget = limit - 64  # room for closing the tags open at a cut
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # tags open at the start of the current part
    lines: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal stack, lines, size
        body = "\n".join(lines)
        still_open = _open_tags(body, stack)
        text = "".join(t for _, t in stack) + body
        if _TAG.sub("", text).strip():
            parts.append(text + "".join(f"</{n}>" for n, _ in reversed(still_open)))
        stack, lines, size = still_open, [], 0

    for line in text.split("\n"):
        for piece in _cut(line, budget - 64):
            reopen = sum(len(t) for _, t in stack)
            if lines and reopen + size + 1 + len(piece) > budget:
                flush()
            size += len(piece) + (1 if lines else 0)
            lines.append(piece)
    flush()
    return parts


# -- the client -----------------------------------------------------------------------------


class TelegramClient:
    """Sends messages to one chat. `timeout` bounds one whole `send` (all parts and retries)."""

    def __init__(
        self,
        token: str,
        chat_id: str | int,
        *,
        base_url: str = "https://api.telegram.org",
        timeout: float = 5.0,
        attempts: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise ValueError("no bot token")
        self._token = token
        self.chat_id = chat_id
        self.base_url = base_url.rstrip("/")
        try:
            httpx.URL(self.base_url)
        except Exception:
            raise ValueError(f"not a valid Telegram api_url: {self.base_url!r}") from None
        self.timeout = timeout
        self.attempts = attempts
        self._transport = transport
        protect_secret(token)

    def __repr__(self) -> str:
        return f"TelegramClient(base_url={self.base_url!r}, chat_id={self.chat_id!r})"

    @property
    def host(self) -> str:
        return httpx.URL(self.base_url).host or self.base_url

    def _hide(self, text: str) -> str:
        return redact(text, [self._token])

    def send(self, text: str, *, parse_mode: str | None = "HTML") -> list[dict[str, Any]]:
        """Send `text` (split if longer than 4096 characters); returns the sent messages."""
        deadline = time.monotonic() + self.timeout
        sent = []
        with httpx.Client(transport=self._transport, follow_redirects=False) as client:
            for part in split_message(text):
                sent.append(self._send_part(client, part, parse_mode, deadline))
        return sent

    def _send_part(
        self, client: httpx.Client, text: str, parse_mode: str | None, deadline: float
    ) -> dict[str, Any]:
        url = f"{self.base_url}/bot{self._token}/sendMessage"
        payload: dict[str, Any] = {
            "chat_id": self.chat_id,
            "text": text,
            "link_preview_options": {"is_disabled": True},
        }
        if parse_mode:
            payload["parse_mode"] = parse_mode
        error = TelegramError("not sent")
        failures = 0
        while failures < self.attempts:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise TelegramError(f"gave up after {self.timeout:g} s: {error}") from None
            try:
                response = client.post(url, json=payload, timeout=remaining)
            except httpx.TimeoutException:
                error = TelegramError(f"{self.host} did not answer within {self.timeout:g} s")
                failures += 1
                continue
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                reason = self._hide(str(exc)) or type(exc).__name__
                error = TelegramError(f"cannot reach {self.host}: {reason}")
                failures += 1
                self._pause(min(0.5 * failures, 2.0), deadline)
                continue
            try:
                body = response.json()
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            if response.status_code == 200 and body.get("ok"):
                return body.get("result") or {}
            code = int(body.get("error_code") or response.status_code)
            description = self._hide(str(body.get("description") or response.reason_phrase))
            if code == 429:
                retry_after = float((body.get("parameters") or {}).get("retry_after") or 1)
                error = TelegramError(
                    f"429 {description} (flood control)", status=429, description=description
                )
                if time.monotonic() + retry_after >= deadline:
                    raise TelegramError(
                        f"429 {description}: retry_after {retry_after:g} s exceeds the "
                        f"{self.timeout:g} s bound",
                        status=429,
                        description=description,
                    ) from None
                log.info("telegram: flood control, retrying after %g s", retry_after)
                time.sleep(retry_after)
                continue
            error = TelegramError(f"{code} {description}", status=code, description=description)
            if code < 500:
                raise error  # a wrong token, chat or message: retrying won't help
            failures += 1
            self._pause(min(0.5 * failures, 2.0), deadline)
        raise error

    @staticmethod
    def _pause(seconds: float, deadline: float) -> None:
        time.sleep(max(0.0, min(seconds, deadline - time.monotonic() - 0.05)))
