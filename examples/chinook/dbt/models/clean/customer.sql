with

source as (

    select * from {{ source('chinook', 'customer') }}

),

regions as (

    select * from {{ ref('country_region') }}

),

final as (

    select
        {{ clean_int('source.customer_id') }} as customer_id,
        {{ clean_text('source.first_name', 'Unknown') }} as first_name,
        {{ clean_text('source.last_name', 'Unknown') }} as last_name,
        {{ clean_text('source.first_name', '') }} || ' ' || {{ clean_text('source.last_name', '') }}
            as full_name,
        {{ clean_text('source.company') }} as company,
        {{ clean_text('source.address') }} as address,
        {{ clean_text('source.city') }} as city,
        {{ clean_text('source.state') }} as state,
        {{ clean_text('source.country', 'Unknown') }} as country,
        coalesce(regions.region, 'Other') as region,
        {{ clean_text('source.postal_code') }} as postal_code,
        {{ clean_text('source.phone') }} as phone,
        {{ clean_text('source.fax') }} as fax,
        lower({{ clean_text('source.email') }}) as email,
        {{ clean_int('source.support_rep_id') }} as support_rep_employee_id,
        {{ histar_scd2_columns() }}
    from source
    left join regions
        on regions.country = {{ clean_text('source.country') }}

)

select * from final
