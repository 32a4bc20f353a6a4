with

source as (

    select * from {{ source('school', 'courses') }}

),

final as (

    select
        cast(course_id as bigint) as course_id,
        cast(subcategory_id as bigint) as subcategory_id,
        cast(title as {{ dbt.type_string() }}) as course_title,
        cast(level as {{ dbt.type_string() }}) as course_level,
        {{ histar_money('price') }} as course_price,
        {{ histar_ts('created_at') }} as created_at,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
