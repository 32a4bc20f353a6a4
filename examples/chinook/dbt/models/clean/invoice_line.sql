with

source as (

    select * from {{ source('chinook', 'invoice_line') }}

),

final as (

    select
        {{ clean_int('invoice_line_id') }} as invoice_line_id,
        {{ clean_int('invoice_id') }} as invoice_id,
        {{ clean_int('track_id') }} as track_id,
        {{ clean_money('unit_price') }} as unit_price,
        coalesce({{ clean_int('quantity') }}, 0) as quantity,
        {{ clean_money(clean_money('unit_price') ~ ' * coalesce(' ~ clean_int('quantity') ~ ', 0)') }}
            as line_amount,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
