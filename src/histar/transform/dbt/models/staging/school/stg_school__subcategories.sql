with

source as (

    select * from {{ source('school', 'subcategories') }}

),

final as (

    select
        cast(subcategory_id as bigint) as subcategory_id,
        cast(category_id as bigint) as category_id,
        cast(name as {{ dbt.type_string() }}) as subcategory_name,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
