with

source as (

    select * from {{ source('chinook', 'playlist') }}

),

final as (

    select
        {{ clean_int('playlist_id') }} as playlist_id,
        {{ clean_text('name', 'Unnamed playlist') }} as playlist_name,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
