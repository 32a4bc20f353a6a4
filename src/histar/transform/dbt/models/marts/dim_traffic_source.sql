with

traffic_sources as (

    select * from {{ ref('stg_school__traffic_sources') }}

),

versions as (

    select
        {{ histar_surrogate_key(['traffic_source_id', 'start_date']) }} as traffic_source_key,
        traffic_source_id,
        traffic_source_name,
        channel,
        start_date,
        end_date,
        {{ histar_valid_from('traffic_source_id') }} as valid_from,
        is_current
    from traffic_sources

),

unknown_member as (

    select
        cast(-1 as bigint) as traffic_source_key,
        cast(-1 as bigint) as traffic_source_id,
        cast('Unknown' as {{ dbt.type_string() }}) as traffic_source_name,
        cast('Unknown' as {{ dbt.type_string() }}) as channel,
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
