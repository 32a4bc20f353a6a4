with

source as (

    select * from {{ source('school', 'sales') }}

),

final as (

    select
        cast(sale_id as bigint) as sale_id,
        cast(user_id as bigint) as user_id,
        cast(course_id as bigint) as course_id,
        cast(manager_id as bigint) as sales_manager_id,
        cast(enrollment_id as bigint) as enrollment_id,
        {{ histar_ts('sold_at') }} as sold_at,
        cast(status as {{ dbt.type_string() }}) as sale_status,
        {{ histar_money('list_price') }} as list_price,
        {{ histar_money('discount') }} as discount,
        {{ histar_money('refunded_amount') }} as refunded_amount,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
