with

source as (

    select * from {{ source('chinook', 'artist') }}

),

final as (

    select
        {{ clean_int('artist_id') }} as artist_id,
        {{ clean_text('name', 'Unknown artist') }} as artist_name,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
