with

source as (

    select * from {{ source('chinook', 'track') }}

),

final as (

    select
        {{ clean_int('track_id') }} as track_id,
        {{ clean_text('name', 'Untitled track') }} as track_name,
        {{ clean_int('album_id') }} as album_id,
        {{ clean_int('media_type_id') }} as media_type_id,
        {{ clean_int('genre_id') }} as genre_id,
        {{ clean_text('composer', 'Unknown composer') }} as composer,
        {{ clean_int('milliseconds') }} as milliseconds,
        cast({{ clean_int('milliseconds') }} / 1000.0 as decimal(10, 3)) as duration_seconds,
        cast(bytes as bigint) as bytes,
        {{ clean_money('unit_price') }} as list_unit_price,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
