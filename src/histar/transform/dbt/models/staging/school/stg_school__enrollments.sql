with

source as (

    select * from {{ source('school', 'enrollments') }}

),

final as (

    select
        cast(enrollment_id as bigint) as enrollment_id,
        cast(user_id as bigint) as user_id,
        cast(course_id as bigint) as course_id,
        {{ histar_ts('enrolled_at') }} as enrolled_at,
        cast(status as {{ dbt.type_string() }}) as enrollment_status,
        {{ histar_ts('updated_at') }} as source_updated_at,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
