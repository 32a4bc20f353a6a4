with

source as (

    select * from {{ source('school', 'user_traffic') }}

),

final as (

    select
        cast(visit_id as bigint) as visit_id,
        cast(user_id as bigint) as user_id,
        cast(traffic_source_id as bigint) as traffic_source_id,
        {{ histar_ts('visited_at') }} as visited_at,
        cast(utm_campaign as {{ dbt.type_string() }}) as utm_campaign,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
