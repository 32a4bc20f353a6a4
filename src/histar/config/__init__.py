"""Project configuration: `histar.toml`, secrets from the environment."""

from histar.config.loader import PROJECT_FILE, ConfigError, load_config, redact
from histar.config.model import (
    CsvSource,
    DatabaseSource,
    ProjectConfig,
    TableConfig,
    WarehouseConfig,
)
from histar.config.template import write_default_project

__all__ = [
    "PROJECT_FILE",
    "ConfigError",
    "CsvSource",
    "DatabaseSource",
    "ProjectConfig",
    "TableConfig",
    "WarehouseConfig",
    "load_config",
    "redact",
    "write_default_project",
]
