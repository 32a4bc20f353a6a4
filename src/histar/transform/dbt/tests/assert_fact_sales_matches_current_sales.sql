-- fact_sales holds exactly one row per current sale in the warehouse history:
-- returns a row (a failure) when the counts differ.

with current_sales as (

    select count(*) as n
    from {{ source('school', 'sales') }}
    where {{ histar_ts('end_date') }} = {{ histar_end_of_time() }}

),

fact as (

    select count(*) as n
    from {{ ref('fact_sales') }}

),

final as (

    select
        current_sales.n as current_sales,
        fact.n as fact_rows
    from current_sales
    cross join fact
    where current_sales.n <> fact.n

)

select * from final
