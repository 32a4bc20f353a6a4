"""`histar reset source|warehouse|star`: start a layer over (the seed's clear scripts)."""

from __future__ import annotations

import logging
from pathlib import Path

from histar.config.model import ProjectConfig
from histar.pipeline.batch import warehouse_lock
from histar.warehouse.connection import connect, dialect_of, duckdb_path, quote

log = logging.getLogger(__name__)


def _reset_source(config: ProjectConfig) -> list[str]:
    if config.datagen is None:
        raise ValueError("histar.toml has no [datagen] section: histar only resets data it made")
    done = _drop_generated_tables(config.datagen.source_url, config.project_dir)
    csv_dir = config.resolve(config.datagen.csv_dir)
    for f in sorted(csv_dir.glob("*.csv")) if csv_dir.exists() else []:
        f.unlink()
        done.append(str(f))
    return done


def _drop_generated_tables(url: str, project_dir: Path) -> list[str]:
    from histar.datagen.schema import TABLES
    from histar.extract.database import sqlite_path

    if url.startswith("sqlite"):
        path = sqlite_path(url, project_dir)
        if path.exists():
            path.unlink()
            return [str(path)]
        return []
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        for t in TABLES:
            con.execute(f"drop table if exists {quote(t.name)} cascade".encode())
    return [f"table {t.name}" for t in TABLES]


def _reset_warehouse(config: ProjectConfig) -> list[str]:
    w = config.warehouse
    if dialect_of(w.url) == "duckdb":
        path = duckdb_path(w.url, config.project_dir)
        gone = []
        for p in (path, Path(f"{path}.wal"), Path(f"{path}.next"), Path(f"{path}.next.wal")):
            if p.exists():
                p.unlink()
                gone.append(str(p))
        return gone
    schemas = [
        w.raw_schema,
        w.history_schema,
        w.staging_schema,
        w.star_schema,
        w.star_schema + "__build",
        w.ops_schema,
    ]
    with connect(w.url, config.project_dir) as wh:
        for s in schemas:
            wh.sql(f"drop schema if exists {quote(s)} cascade")
    return [f"schema {s}" for s in schemas]


def _reset_star(config: ProjectConfig) -> list[str]:
    w = config.warehouse
    if dialect_of(w.url) == "duckdb" and not duckdb_path(w.url, config.project_dir).exists():
        return []
    schemas = [w.star_schema, w.star_schema + "__build", w.staging_schema]
    with connect(w.url, config.project_dir) as wh:
        for s in schemas:
            wh.sql(f"drop schema if exists {quote(s)} cascade")
    return [f"schema {s}" for s in schemas]


def reset(config: ProjectConfig, layer: str) -> list[str]:
    """Remove one layer; returns what was removed. The next `histar run` rebuilds it."""
    if layer == "source":
        return _reset_source(config)
    actions = {"warehouse": _reset_warehouse, "star": _reset_star}
    if layer not in actions:
        raise ValueError(f"unknown layer {layer!r}: choose source, warehouse or star")
    with warehouse_lock(config, wait=False):
        done = actions[layer](config)
    log.info("reset %s: %s", layer, ", ".join(done) or "nothing to remove")
    return done
