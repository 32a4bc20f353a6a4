"""The texts of the notifications (Telegram HTML: only <b>, <i>, <code>, <pre>, <a>)."""

from __future__ import annotations

from html import escape

from histar.pipeline.batch import Batch, BatchResult


def _n(value: int) -> str:
    return f"{value:,}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return (
        f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
    )


def started(project: str, batch: Batch) -> str:
    return (
        f"▶️ <b>{escape(project)}</b>: batch <b>{batch.batch_id}</b> ({batch.kind} load) started\n"
        f"extraction time {batch.extracted_at:%Y-%m-%d %H:%M:%S} UTC"
    )


def succeeded(project: str, result: BatchResult, dashboard_url: str | None = None) -> str:
    lines = [
        f"✅ <b>{escape(project)}</b>: batch <b>{result.batch_id}</b> ({result.kind} load) "
        f"published in {_duration(result.seconds)}"
    ]
    if result.tables:
        width = max(5, *(len(t.table) for t in result.tables))
        rows = [f"{'table':<{width}} {'inserted':>9} {'closed':>8} {'rejected':>8}"]
        for t in result.tables:
            rows.append(
                f"{t.table:<{width}} {_n(t.inserted):>9} {_n(t.closed):>8} {_n(t.rows_rejected):>8}"
            )
        lines.append("<pre>" + escape("\n".join(rows)) + "</pre>")
    read = sum(t.rows_read for t in result.tables)
    inserted = sum(t.inserted for t in result.tables)
    closed = sum(t.closed for t in result.tables)
    rejected = sum(t.rows_rejected for t in result.tables)
    lines.append(
        f"{_n(read)} rows read, {_n(inserted)} versions inserted, {_n(closed)} closed, "
        f"{_n(rejected)} rows quarantined" + (" (raw._rejected_rows)" if rejected else "")
    )
    if result.step_seconds:
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.step_seconds.items())
        lines.append(f"<i>{escape(steps)}</i>")
    lines.append(f"warehouse: <code>{escape(result.warehouse)}</code>")
    if dashboard_url:
        lines.append(f'dashboard: <a href="{escape(dashboard_url)}">{escape(dashboard_url)}</a>')
    return "\n".join(lines)


def failed(
    project: str, result: BatchResult, *, retry_in: float | None = None, attempt: str = ""
) -> str:
    error = result.error or "unknown error"
    lines = [
        f"❌ <b>{escape(project)}</b>: batch <b>{result.batch_id}</b> ({result.kind} load) "
        f"failed in step <b>{escape(result.failed_step or '?')}</b> "
        f"after {_duration(result.seconds)}",
        "<pre>" + escape(error) + "</pre>",
        "The warehouse is as the previous batch left it.",
    ]
    if retry_in is not None:
        lines.append(f"Retry {escape(attempt)} in {_duration(retry_in)}.")
    return "\n".join(lines)


def not_started(project: str, kind: str, error: str) -> str:
    return (
        f"❌ <b>{escape(project)}</b>: the {kind} load could not start\n<pre>{escape(error)}</pre>"
    )


def interrupted(project: str, flow_run: str, what: str, message: str | None) -> str:
    icon = "🛑" if what == "cancelled" else "💥"
    text = f"{icon} <b>{escape(project)}</b>: flow run <code>{escape(flow_run)}</code> {what}"
    if message:
        text += f"\n<pre>{escape(message)}</pre>"
    return text + "\nSee the Prefect UI and <code>histar status</code>."


def test_message(project: str) -> str:
    return (
        f"🔔 <b>{escape(project)}</b>: test message from <code>histar notify test</code>. "
        "Notifications work."
    )
