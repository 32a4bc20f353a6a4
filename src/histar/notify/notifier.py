"""Deliver one message to every configured channel; never fail or hold up the load.

Channels come from `[notifications]` in histar.toml: Telegram (token and chat id from the
environment variables it names) and any Apprise URLs listed in the variable named by
`apprise_urls_env` (whitespace or comma separated). `Notifier.send` logs failures and
returns; `Notifier.check` (for `histar notify test`) reports them.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Protocol

from histar.config.loader import environment
from histar.config.model import ProjectConfig
from histar.notify.telegram import TelegramClient, TelegramError

log = logging.getLogger(__name__)


class NotifyError(Exception):
    """A channel could not deliver; the message is safe to show (no secrets)."""


class Channel(Protocol):
    name: str

    def send(self, text: str) -> int:
        """Deliver `text`; returns the number of messages sent, raises NotifyError."""
        ...


@dataclass
class Delivery:
    channel: str
    ok: bool
    messages: int = 0
    error: str | None = None


_HINTS = {
    401: "check the bot token in ${token_env}",
    404: "check the bot token in ${token_env} and the api_url",
    403: "the bot cannot write to this chat (blocked, or not a member)",
}


class TelegramChannel:
    def __init__(self, client: TelegramClient, token_env: str, chat_env: str) -> None:
        self.client = client
        self.token_env = token_env
        self.chat_env = chat_env
        self.name = "telegram"

    def send(self, text: str) -> int:
        try:
            return len(self.client.send(text))
        except TelegramError as exc:
            hint = _HINTS.get(exc.status or 0, "")
            if exc.status == 400 and "chat not found" in (exc.description or "").lower():
                hint = (
                    "check the chat id in ${chat_env}; the bot must be in the chat (or /start it)"
                )
            hint = hint.replace("${token_env}", self.token_env).replace(
                "${chat_env}", self.chat_env
            )
            raise NotifyError(f"{exc} ({hint})" if hint else str(exc)) from None


class AppriseChannel:
    """Any Apprise URL (Slack, e-mail, ntfy, …). Apprise ships with Prefect."""

    def __init__(self, urls: list[str], timeout: float) -> None:
        self.urls = urls
        self.timeout = timeout
        schemes = sorted({u.split("://", 1)[0] for u in urls})
        self.name = f"apprise ({', '.join(schemes)})"

    def send(self, text: str) -> int:
        import apprise

        ap = apprise.Apprise()  # loads its plugins: outside the delivery time bound
        for url in self.urls:
            if not ap.add(url):
                log.warning("apprise: ignoring a URL it does not understand")
        outcome: list[bool] = []

        def deliver() -> None:
            try:
                outcome.append(bool(ap.notify(body=text, body_format=apprise.NotifyFormat.HTML)))
            except Exception as exc:
                log.warning("apprise: %s", type(exc).__name__)
                outcome.append(False)

        worker = threading.Thread(target=deliver, name="histar-apprise", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise NotifyError(f"no answer within {self.timeout:g} s")
        if not outcome or not outcome[0]:
            raise NotifyError("delivery failed (see the apprise log)")
        return 1


class Notifier:
    def __init__(self, channels: list[Channel], problems: list[str] | None = None) -> None:
        self.channels = channels
        self.problems = problems or []  # configured channels that could not be set up

    @classmethod
    def from_config(cls, config: ProjectConfig, env: dict[str, str] | None = None) -> Notifier:
        env = environment(config.project_dir) if env is None else env
        n = config.notifications
        channels: list[Channel] = []
        problems: list[str] = []
        if n.telegram is not None:
            t = n.telegram
            token, chat = env.get(t.bot_token_env, ""), env.get(t.chat_id_env, "")
            missing = [v for v, val in ((t.bot_token_env, token), (t.chat_id_env, chat)) if not val]
            if missing:
                problems.append(f"telegram: {' and '.join(missing)} not set")
            else:
                client = TelegramClient(token, chat, base_url=t.api_url, timeout=t.timeout_seconds)
                channels.append(TelegramChannel(client, t.bot_token_env, t.chat_id_env))
        if n.apprise_urls_env:
            urls = [u for u in re.split(r"[\s,]+", env.get(n.apprise_urls_env, "")) if u]
            if urls:
                timeout = n.telegram.timeout_seconds if n.telegram else 5.0
                channels.append(AppriseChannel(urls, timeout))
            else:
                problems.append(f"apprise: {n.apprise_urls_env} not set")
        for problem in problems:
            log.warning("notifications: %s; that channel is off", problem)
        return cls(channels, problems)

    def check(self, text: str) -> list[Delivery]:
        """Send to every channel and report each outcome (no exceptions)."""
        results = []
        for channel in self.channels:
            try:
                results.append(Delivery(channel.name, True, channel.send(text)))
            except NotifyError as exc:
                results.append(Delivery(channel.name, False, error=str(exc)))
            except Exception as exc:  # a bug in a channel must not break the load
                results.append(Delivery(channel.name, False, error=type(exc).__name__))
        return results

    def send(self, text: str) -> list[Delivery]:
        """Best effort: failures are logged as warnings, never raised."""
        results = self.check(text)
        for r in results:
            if not r.ok:
                log.warning("notification via %s failed: %s", r.channel, r.error)
        return results
