with

source as (

    select * from {{ source('chinook', 'invoice') }}

),

regions as (

    select * from {{ ref('country_region') }}

),

final as (

    select
        {{ clean_int('source.invoice_id') }} as invoice_id,
        {{ clean_int('source.customer_id') }} as customer_id,
        {{ clean_date('source.invoice_date') }} as invoice_date,
        {{ clean_text('source.billing_address') }} as billing_address,
        {{ clean_text('source.billing_city') }} as billing_city,
        {{ clean_text('source.billing_state') }} as billing_state,
        {{ clean_text('source.billing_country', 'Unknown') }} as billing_country,
        coalesce(regions.region, 'Other') as billing_region,
        {{ clean_text('source.billing_postal_code') }} as billing_postal_code,
        {{ clean_money('source.total') }} as invoice_total,
        {{ histar_scd2_columns() }}
    from source
    left join regions
        on regions.country = {{ clean_text('source.billing_country') }}

)

select * from final
