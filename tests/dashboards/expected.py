"""The dashboard's figures computed independently, in plain SQL with literal values."""

from __future__ import annotations

from datetime import date, timedelta

from histar.config.model import ProjectConfig
from histar.warehouse.connection import connect


def kpis(
    cfg: ProjectConfig,
    category: str | None = None,
    country: str | None = None,
    dates: tuple[date, date] | None = None,
) -> dict[str, float]:
    where = ["true"]
    if category:
        where.append(f"c.category_name = '{category}'")
    if country:
        where.append(f"u.country = '{country}'")
    if dates:
        end = dates[1] + timedelta(days=1)
        where.append(f"f.sold_at >= date '{dates[0]}' and f.sold_at < date '{end}'")
    sql = (
        "select coalesce(sum(f.net_revenue), 0), count(*), count(distinct f.user_id) "
        "from star_schema.fact_sales f "
        "join star_schema.dim_course c on c.course_key = f.course_key "
        "join star_schema.dim_user u on u.user_key = f.user_key where " + " and ".join(where)
    )
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        revenue, sales, buyers = wh.query(sql)[0]
    return {"revenue": float(revenue), "sales": int(sales), "buyers": int(buyers)}


def shown(figures: dict[str, float]) -> list[str]:
    """The KPI texts the page shows for these figures."""
    revenue, sales, buyers = figures["revenue"], figures["sales"], figures["buyers"]
    average = f"${revenue / sales:,.2f}" if sales else "–"
    return [f"${revenue:,.2f}", f"{sales:,d}", f"{buyers:,d}", average]
