{{
    config(
        materialized='incremental',
        unique_key='sale_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ fact_sales_delete_removed_sales() }}",
    )
}}

{#
    Grain: one row per sale (its current version). Every dimension key is the version valid
    when the sale happened (valid_from <= sold_at < end_date), or -1 (unknown member).
    Traffic source attribution: the user's last visit at or before sold_at (ties: highest
    visit_id); the key is that traffic source's version valid at sold_at.

    Incremental runs recompute only the sales touched since the fact's high-water mark
    (max(batch_id) in this table): sale_ids with a version inserted or closed by a later batch.
    batch_id is the batch that inserted the sale version a row reflects, so a row's content
    depends only on the history, never on which run wrote it (incremental = full refresh).
    Sales deleted at the source are removed by the pre-hook. A new visit can only change the
    attribution of sales at or after it, and visits arrive no later than their sales, so
    untouched sales keep correct keys; dimension keys are stable across batches.
#}

with

sales as (

    select * from {{ ref('stg_school__sales') }}
    where is_current
    {% if is_incremental() %}
        and sale_id in (
            select sale_id
            from {{ ref('stg_school__sales') }}
            where insert_id > {{ histar_high_water_mark() }}
                or update_id > {{ histar_high_water_mark() }}
        )
    {% endif %}

),

visits as (

    select * from {{ ref('stg_school__user_traffic') }}
    where is_current

),

users as (

    select * from {{ ref('dim_user') }}

),

courses as (

    select * from {{ ref('dim_course') }}

),

sales_managers as (

    select * from {{ ref('dim_sales_manager') }}

),

traffic_sources as (

    select * from {{ ref('dim_traffic_source') }}

),

ranked_visits as (

    select
        sales.sale_id,
        visits.visit_id,
        visits.traffic_source_id,
        row_number() over (
            partition by sales.sale_id
            order by visits.visited_at desc, visits.visit_id desc
        ) as visit_rank
    from sales
    inner join visits
        on visits.user_id = sales.user_id
        and visits.visited_at <= sales.sold_at

),

attribution as (

    select
        sale_id,
        visit_id,
        traffic_source_id
    from ranked_visits
    where visit_rank = 1

),

final as (

    select
        sales.sale_id,
        coalesce({{ histar_date_key('sales.sold_at') }}, -1) as date_key,
        coalesce(users.user_key, -1) as user_key,
        coalesce(courses.course_key, -1) as course_key,
        coalesce(sales_managers.sales_manager_key, -1) as sales_manager_key,
        coalesce(traffic_sources.traffic_source_key, -1) as traffic_source_key,
        sales.user_id,
        sales.course_id,
        sales.sales_manager_id,
        attribution.traffic_source_id,
        attribution.visit_id as attributed_visit_id,
        sales.enrollment_id,
        sales.sold_at,
        sales.sale_status as status,
        sales.list_price,
        coalesce(sales.discount, 0) as discount,
        sales.list_price - coalesce(sales.discount, 0) as net_amount,
        coalesce(sales.refunded_amount, 0) as refunded_amount,
        sales.list_price - coalesce(sales.discount, 0) - coalesce(sales.refunded_amount, 0)
            as net_revenue,
        sales.insert_id as batch_id
    from sales
    left join attribution
        on attribution.sale_id = sales.sale_id
    left join users
        on users.user_id = sales.user_id
        and users.valid_from <= sales.sold_at
        and sales.sold_at < users.end_date
    left join courses
        on courses.course_id = sales.course_id
        and courses.valid_from <= sales.sold_at
        and sales.sold_at < courses.end_date
    left join sales_managers
        on sales_managers.sales_manager_id = sales.sales_manager_id
        and sales_managers.valid_from <= sales.sold_at
        and sales.sold_at < sales_managers.end_date
    left join traffic_sources
        on traffic_sources.traffic_source_id = attribution.traffic_source_id
        and traffic_sources.valid_from <= sales.sold_at
        and sales.sold_at < traffic_sources.end_date

)

select * from final
