with

source as (

    select * from {{ source('chinook', 'employee') }}

),

final as (

    select
        {{ clean_int('employee_id') }} as employee_id,
        {{ clean_text('first_name', 'Unknown') }} as first_name,
        {{ clean_text('last_name', 'Unknown') }} as last_name,
        {{ clean_text('first_name', '') }} || ' ' || {{ clean_text('last_name', '') }}
            as full_name,
        {{ clean_text('title', 'Unknown title') }} as title,
        {{ clean_int('reports_to') }} as reports_to_employee_id,
        {{ clean_date('birth_date') }} as birth_date,
        {{ clean_date('hire_date') }} as hire_date,
        {{ clean_text('address') }} as address,
        {{ clean_text('city') }} as city,
        {{ clean_text('state') }} as state,
        {{ clean_text('country', 'Unknown') }} as country,
        {{ clean_text('postal_code') }} as postal_code,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('fax') }} as fax,
        lower({{ clean_text('email') }}) as email,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
