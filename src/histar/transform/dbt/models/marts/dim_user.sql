with

users as (

    select * from {{ ref('stg_school__users') }}

),

versions as (

    select
        {{ histar_surrogate_key(['user_id', 'start_date']) }} as user_key,
        user_id,
        first_name,
        last_name,
        email,
        country,
        city,
        registered_at,
        start_date,
        end_date,
        {{ histar_valid_from('user_id') }} as valid_from,
        is_current
    from users

),

unknown_member as (

    select
        cast(-1 as bigint) as user_key,
        cast(-1 as bigint) as user_id,
        cast('Unknown' as {{ dbt.type_string() }}) as first_name,
        cast('Unknown' as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast('Unknown' as {{ dbt.type_string() }}) as country,
        cast('Unknown' as {{ dbt.type_string() }}) as city,
        cast(null as timestamp) as registered_at,
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
