with

source as (

    select * from {{ source('school', 'users') }}

),

final as (

    select
        cast(user_id as bigint) as user_id,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(city as {{ dbt.type_string() }}) as city,
        {{ histar_ts('registered_at') }} as registered_at,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
