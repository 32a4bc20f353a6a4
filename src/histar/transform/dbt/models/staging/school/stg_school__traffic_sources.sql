with

source as (

    select * from {{ source('school', 'traffic_sources') }}

),

final as (

    select
        cast(traffic_source_id as bigint) as traffic_source_id,
        cast(name as {{ dbt.type_string() }}) as traffic_source_name,
        cast(channel as {{ dbt.type_string() }}) as channel,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
