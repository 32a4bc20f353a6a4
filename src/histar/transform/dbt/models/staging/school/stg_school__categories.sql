with

source as (

    select * from {{ source('school', 'categories') }}

),

final as (

    select
        cast(category_id as bigint) as category_id,
        cast(name as {{ dbt.type_string() }}) as category_name,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
