with

source as (

    select * from {{ source('chinook', 'playlist_track') }}

),

final as (

    select
        {{ clean_int('playlist_id') }} as playlist_id,
        {{ clean_int('track_id') }} as track_id,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
