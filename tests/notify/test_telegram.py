"""The Telegram client against a local server that behaves like the Bot API's sendMessage."""

from __future__ import annotations

import logging
import traceback

import pytest
import typer
from typer.testing import CliRunner

from histar.cli.schedule import register
from histar.config.model import NotificationsConfig, ProjectConfig, TelegramConfig
from histar.notify import Notifier, NotifyError, TelegramClient, TelegramError, send_test
from histar.notify.telegram import split_message
from notify.fake_bot_api import CHAT_ID, TOKEN, FakeBotAPI, closed_port_url, parse_entities


def client(api_url: str, token: str = TOKEN, chat: str = CHAT_ID, timeout: float = 3):
    return TelegramClient(token, chat, base_url=api_url, timeout=timeout)


def test_send_message(bot_api: FakeBotAPI) -> None:
    sent = client(bot_api.url).send("<b>batch 2</b> &amp; done")
    assert sent[0]["message_id"] == 1
    (body,) = bot_api.messages
    assert body["chat_id"] == CHAT_ID
    assert body["parse_mode"] == "HTML"
    assert body["text"] == "<b>batch 2</b> &amp; done"
    assert bot_api.requests == [f"/bot{TOKEN}/sendMessage"]


def test_long_message_is_split_on_lines_into_valid_parts(bot_api: FakeBotAPI) -> None:
    rows = [f"row {i:05d} " + "x" * 70 for i in range(400)]  # ~32,000 characters
    text = "<b>summary</b>\n<pre>" + "\n".join(rows) + "</pre>\nend"
    sent = client(bot_api.url).send(text)
    assert len(sent) == len(bot_api.messages) >= 8
    assert all(len(t) <= 4096 for t in bot_api.texts)  # the server also checked HTML
    shown = "".join(parse_entities(t)[0] for t in bot_api.texts)
    for row in rows:
        assert row in shown
    assert shown.index(rows[0]) < shown.index(rows[-1])


def test_split_message_closes_and_reopens_tags() -> None:
    text = "<pre>" + "\n".join("y" * 100 for _ in range(100)) + "</pre>"
    parts = split_message(text)
    assert len(parts) == 3
    for part in parts:
        assert part.startswith("<pre>") and part.endswith("</pre>")
        assert parse_entities(part)[1] is None
    assert split_message("short") == ["short"]
    assert [len(p) for p in split_message("z" * 9000)] == [3968, 3968, 1064]


def test_429_retry_after_is_honoured(bot_api: FakeBotAPI) -> None:
    bot_api.script.append(("429", 1))
    client(bot_api.url).send("after the flood")
    assert bot_api.answers == [429, 200]
    assert bot_api.texts == ["after the flood"]


def test_429_longer_than_the_bound_gives_up(bot_api: FakeBotAPI) -> None:
    bot_api.script.append(("429", 600))
    with pytest.raises(TelegramError) as err:
        client(bot_api.url, timeout=2).send("x")
    assert err.value.status == 429
    assert "retry_after 600" in str(err.value)
    assert bot_api.answers == [429]


def test_server_errors_are_retried_a_bounded_number_of_times(bot_api: FakeBotAPI) -> None:
    bot_api.script.extend([("500",), ("drop",)])
    client(bot_api.url).send("third time lucky")
    assert len(bot_api.requests) == 3
    assert bot_api.texts == ["third time lucky"]

    bot_api.script.extend([("500",)] * 5)
    with pytest.raises(TelegramError) as err:
        client(bot_api.url).send("never")
    assert err.value.status == 500
    assert len(bot_api.requests) == 3 + 3  # three attempts, then it gives up


def test_wrong_token_is_401(bot_api: FakeBotAPI) -> None:
    with pytest.raises(TelegramError) as err:
        client(bot_api.url, token="123:wrong").send("x")
    assert err.value.status == 401
    assert str(err.value) == "401 Unauthorized"
    assert len(bot_api.requests) == 1  # not retried


def test_unknown_chat_is_400(bot_api: FakeBotAPI) -> None:
    with pytest.raises(TelegramError) as err:
        client(bot_api.url, chat="999").send("x")
    assert err.value.status == 400
    assert "chat not found" in str(err.value)


def test_connection_refused() -> None:
    with pytest.raises(TelegramError) as err:
        client(closed_port_url(), timeout=2).send("x")
    assert "cannot reach 127.0.0.1" in str(err.value)


def test_no_answer_is_bounded(bot_api: FakeBotAPI) -> None:
    bot_api.script.extend([("hang",)] * 3)
    with pytest.raises(TelegramError) as err:
        client(bot_api.url, timeout=1).send("x")
    assert "did not answer" in str(err.value)


def _config(tmp_path, api_url: str, *, apprise_env: str | None = None) -> ProjectConfig:
    cfg = ProjectConfig(
        name="shop",
        sources=[
            {
                "kind": "database",
                "id": 1,
                "name": "s",
                "url": "sqlite:///x.sqlite",
                "tables": [{"name": "t", "primary_key": ["id"]}],
            }
        ],
        notifications=NotificationsConfig(
            telegram=TelegramConfig(api_url=api_url, timeout_seconds=2),
            apprise_urls_env=apprise_env,
        ),
    )
    cfg.project_dir = tmp_path
    return cfg


def _env(tmp_path, **values: str) -> None:
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def test_notifier_reads_env_names_from_config_and_never_raises(tmp_path, bot_api) -> None:
    _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_CHAT_ID=CHAT_ID)
    cfg = _config(tmp_path, bot_api.url)
    (ok,) = Notifier.from_config(cfg).send("hello")
    assert ok.ok and bot_api.texts == ["hello"]

    _env(tmp_path, TELEGRAM_BOT_TOKEN="1:bad", TELEGRAM_CHAT_ID=CHAT_ID)
    (bad,) = Notifier.from_config(cfg).send("hello")
    assert not bad.ok
    assert "401 Unauthorized" in bad.error and "TELEGRAM_BOT_TOKEN" in bad.error

    _env(tmp_path)
    notifier = Notifier.from_config(cfg)
    assert notifier.channels == [] and notifier.send("nobody hears") == []
    with pytest.raises(NotifyError, match="TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID not set"):
        send_test(cfg)


def test_apprise_urls_from_env(tmp_path, bot_api) -> None:
    host = bot_api.url.removeprefix("http://")
    _env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_CHAT_ID=CHAT_ID,
        HISTAR_APPRISE_URLS=f"json://{host}/hook",
    )
    cfg = _config(tmp_path, bot_api.url, apprise_env="HISTAR_APPRISE_URLS")
    results = send_test(cfg)
    assert [(r.channel, r.ok) for r in results] == [("telegram", True), ("apprise (json)", True)], (
        results
    )
    ((path, body),) = bot_api.other
    assert path == "/hook" and b"test message" in body


@pytest.fixture
def cli():
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return lambda *args: CliRunner().invoke(app, list(args))


def _project(tmp_path, api_url: str, **env: str) -> str:
    (tmp_path / "histar.toml").write_text(
        f"""
name = "shop"
[notifications.telegram]
api_url = "{api_url}"
timeout_seconds = 2
[[sources]]
kind = "database"
id = 1
name = "s"
url = "sqlite:///x.sqlite"
tables = [{{name = "t", primary_key = ["id"]}}]
"""
    )
    _env(tmp_path, **env)
    return str(tmp_path)


def test_cli_registers_serve_and_notify(cli) -> None:
    res = cli("--help")
    assert "serve" in res.output and "notify" in res.output
    assert "schedule from histar.toml" in cli("serve", "--help").output


def test_cli_notify_test_reports_each_failure_clearly(tmp_path, bot_api, cli) -> None:
    project = _project(tmp_path, bot_api.url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_CHAT_ID=CHAT_ID)
    res = cli("notify", "test", "-p", project)
    assert res.exit_code == 0, res.output
    assert "sent via telegram (1 message(s))" in res.output
    assert "Notifications work" in bot_api.texts[0]

    _env(tmp_path, TELEGRAM_BOT_TOKEN="42:nope", TELEGRAM_CHAT_ID=CHAT_ID)
    res = cli("notify", "test", "-p", project)
    assert res.exit_code == 1
    assert "401 Unauthorized" in res.output and "TELEGRAM_BOT_TOKEN" in res.output

    _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_CHAT_ID="12345")
    res = cli("notify", "test", "-p", project)
    assert res.exit_code == 1
    assert "400 Bad Request: chat not found" in res.output and "TELEGRAM_CHAT_ID" in res.output

    project = _project(
        tmp_path, closed_port_url(), TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_CHAT_ID=CHAT_ID
    )
    res = cli("notify", "test", "-p", project)
    assert res.exit_code == 1
    assert "cannot reach 127.0.0.1" in res.output and "refused" in res.output.lower()
    assert TOKEN not in res.output


def test_token_never_logged_or_shown(tmp_path, bot_api, caplog, capsys) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection"):
        caplog.set_level(logging.DEBUG, logger=name)
    errors: list[BaseException] = []
    c = client(bot_api.url, timeout=1.5)
    c.send("fine")  # httpx logs the request URL at INFO
    bot_api.script.extend([("500",), ("drop",), ("429", 30), ("hang",)])
    for _ in range(2):
        try:
            c.send("trouble")
        except TelegramError as exc:
            errors.append(exc)
    for url in (closed_port_url(), "http://[::1"):
        try:
            client(url, timeout=1).send("x")
        except (TelegramError, ValueError) as exc:
            errors.append(exc)
    _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_CHAT_ID="1")
    deliveries = Notifier.from_config(_config(tmp_path, bot_api.url)).send("x")

    assert errors and not deliveries[0].ok
    assert "HTTP Request: POST" in caplog.text  # httpx did log, redacted
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    for exc in errors:
        shown = "".join(traceback.format_exception(exc))
        assert TOKEN not in shown and TOKEN not in repr(exc)
    assert TOKEN not in repr(c)
    assert TOKEN not in str(deliveries)
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err
