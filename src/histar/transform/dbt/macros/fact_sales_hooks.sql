{#
    Incremental fact_sales: sales deleted at the source must leave the fact. delete+insert only
    rewrites the sale_ids the model selects, and a deleted sale has no current version to
    select, so this pre-hook removes them first. It only looks at sale_ids whose versions were
    closed after the fact's high-water mark (max(batch_id) in the fact) and that have no current
    version: `not exists`, not `not in`, which PostgreSQL cannot hash over millions of rows
    (a scan per row: minutes at 3M sales). Runs inside the model's transaction, before the
    new rows are computed; deleting can only lower the high-water mark, which makes the model
    recompute a superset (safe).
#}
{% macro histar_high_water_mark() -%}
    (select coalesce(max(batch_id), -1) from {{ this }})
{%- endmacro %}

{% macro fact_sales_delete_removed_sales() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where sale_id in (
        select removed.sale_id
        from {{ ref('stg_school__sales') }} as removed
        where removed.update_id > {{ histar_high_water_mark() }}
            and not exists (
                select 1
                from {{ ref('stg_school__sales') }} as still_current
                where still_current.sale_id = removed.sale_id
                    and still_current.is_current
            )
    )
    {%- endif -%}
{%- endmacro %}
