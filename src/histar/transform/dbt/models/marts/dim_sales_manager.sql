with

sales_managers as (

    select * from {{ ref('stg_school__sales_managers') }}

),

versions as (

    select
        {{ histar_surrogate_key(['sales_manager_id', 'start_date']) }} as sales_manager_key,
        sales_manager_id,
        first_name,
        last_name,
        email,
        region,
        hired_at,
        start_date,
        end_date,
        {{ histar_valid_from('sales_manager_id') }} as valid_from,
        is_current
    from sales_managers

),

unknown_member as (

    select
        cast(-1 as bigint) as sales_manager_key,
        cast(-1 as bigint) as sales_manager_id,
        cast('Unknown' as {{ dbt.type_string() }}) as first_name,
        cast('Unknown' as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast('Unknown' as {{ dbt.type_string() }}) as region,
        cast(null as timestamp) as hired_at,
        {{ histar_beginning_of_time() }} as start_date,
        {{ histar_end_of_time() }} as end_date,
        {{ histar_beginning_of_time() }} as valid_from,
        true as is_current

),

final as (

    select * from versions
    union all
    select * from unknown_member

)

select * from final
