with

source as (

    select * from {{ source('chinook', 'album') }}

),

final as (

    select
        {{ clean_int('album_id') }} as album_id,
        {{ clean_text('title', 'Unknown album') }} as album_title,
        {{ clean_int('artist_id') }} as artist_id,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
