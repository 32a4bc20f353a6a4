{#
    Business question 2. Grain: one row per current customer: lifetime revenue (sum of the
    customer's invoice lines in fact_invoice_line) and spending tier:
      high   lifetime_revenue >= var spending_tier_high_min   (default 45.00)
      medium lifetime_revenue >= var spending_tier_medium_min (default 40.00)
      low    below that (including customers without purchases)
    Change the thresholds in dbt/dbt_project.yml (vars); the next batch rebuilds this table.
#}

{%- set high_min = var('spending_tier_high_min', 45.00) -%}
{%- set medium_min = var('spending_tier_medium_min', 40.00) -%}

with

customers as (

    select * from {{ ref('dim_customer') }}
    where is_current and customer_id <> -1

),

revenue as (

    select
        customer_id,
        count(distinct invoice_id) as invoices,
        sum(quantity) as units,
        sum(line_amount) as lifetime_revenue
    from {{ ref('fact_invoice_line') }}
    group by customer_id

),

final as (

    select
        customers.customer_key,
        customers.customer_id,
        customers.full_name,
        customers.country,
        customers.region,
        coalesce(revenue.invoices, 0) as invoices,
        coalesce(revenue.units, 0) as units,
        {{ histar_money('coalesce(revenue.lifetime_revenue, 0)') }} as lifetime_revenue,
        case
            when coalesce(revenue.lifetime_revenue, 0) >= {{ high_min }} then 'high'
            when coalesce(revenue.lifetime_revenue, 0) >= {{ medium_min }} then 'medium'
            else 'low'
        end as spending_tier,
        case
            when coalesce(revenue.lifetime_revenue, 0) >= {{ high_min }} then 1
            when coalesce(revenue.lifetime_revenue, 0) >= {{ medium_min }} then 2
            else 3
        end as spending_tier_order
    from customers
    left join revenue
        on revenue.customer_id = customers.customer_id

)

select * from final
