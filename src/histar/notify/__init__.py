"""Notifications: Telegram Bot API messages and Apprise URLs, best effort and secret-safe."""

from histar.config.model import ProjectConfig
from histar.notify import messages
from histar.notify.notifier import (
    AppriseChannel,
    Delivery,
    Notifier,
    NotifyError,
    TelegramChannel,
)
from histar.notify.telegram import TelegramClient, TelegramError, split_message


def send_test(config: ProjectConfig, text: str | None = None) -> list[Delivery]:
    """Send a test message to every channel; raises NotifyError when none is usable.

    Channels that are configured but cannot be set up (a variable not set) are reported
    as failed deliveries beside the others.
    """
    notifier = Notifier.from_config(config)
    if not notifier.channels:
        why = "; ".join(notifier.problems) or (
            "no channel configured: add [notifications.telegram] (or apprise_urls_env) "
            "to histar.toml"
        )
        raise NotifyError(why)
    problems = [
        Delivery(p.split(":", 1)[0], False, error=p.split(": ", 1)[-1]) for p in notifier.problems
    ]
    return problems + notifier.check(text or messages.test_message(config.name))


__all__ = [
    "AppriseChannel",
    "Delivery",
    "Notifier",
    "NotifyError",
    "TelegramChannel",
    "TelegramClient",
    "TelegramError",
    "messages",
    "send_test",
    "split_message",
]
