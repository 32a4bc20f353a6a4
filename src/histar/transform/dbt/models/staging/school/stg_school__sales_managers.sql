with

source as (

    select * from {{ source('school', 'sales_managers') }}

),

final as (

    select
        cast(manager_id as bigint) as sales_manager_id,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(region as {{ dbt.type_string() }}) as region,
        {{ histar_ts('hired_at') }} as hired_at,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
