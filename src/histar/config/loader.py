"""Read `histar.toml`: expand `${VAR}` from the environment and `.env`, validate, explain."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import ValidationError

from histar.config.model import ProjectConfig

PROJECT_FILE = "histar.toml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(Exception):
    """A wrong or missing setting; the message is one line naming the key."""


def _expand(value: Any, env: dict[str, str], where: str) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                raise ConfigError(f"{where}: environment variable {name} is not set")
            return env[name]

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, env, f"{where}.{k}" if where else k) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _check_no_literal_password(raw: dict[str, Any]) -> None:
    """Secrets live in the environment: a URL in the file may only say `${VAR}` for a password."""
    urls = [("warehouse.url", raw.get("warehouse", {}).get("url"))]
    urls += [(f"sources[{i}].url", s.get("url")) for i, s in enumerate(raw.get("sources", []))]
    for key, url in urls:
        if isinstance(url, str) and "://" in url:
            password = urlsplit(url).password
            if password and not _VAR.fullmatch(password):
                raise ConfigError(
                    f"{key}: put the password in an environment variable, "
                    "e.g. postgresql://user:${PGPASSWORD}@host:5432/db"
                )


def _format_error(err: ValidationError) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-after"))
    msg = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{key or 'histar.toml'}: {msg}{shown}{more}"


def environment(project_dir: Path) -> dict[str, str]:
    """The process environment over the project's `.env` file (the environment wins)."""
    env = {k: v for k, v in dotenv_values(project_dir / ".env").items() if v is not None}
    env.update(os.environ)
    return env


def load_config(path: str | Path = PROJECT_FILE) -> ProjectConfig:
    path = Path(path)
    if path.is_dir():
        path = path / PROJECT_FILE
    if not path.exists():
        raise ConfigError(f"{path}: no project file here; run `histar init` to write one")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    project_dir = path.resolve().parent
    _check_no_literal_password(raw)
    env = environment(project_dir)
    data = _expand(raw, env, "")
    if "HISTAR_WAREHOUSE_URL" in env:
        data.setdefault("warehouse", {})["url"] = env["HISTAR_WAREHOUSE_URL"]
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path.name}: {_format_error(exc)}") from None
    config.project_dir = project_dir
    return config


def redact(text: str, secrets: list[str] | None = None) -> str:
    """Hide URL passwords (and any given secret) in a message meant for people."""
    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    for secret in secrets or []:
        if secret:
            text = text.replace(secret, "***")
    return text
