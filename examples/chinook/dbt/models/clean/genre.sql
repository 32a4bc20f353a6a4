with

source as (

    select * from {{ source('chinook', 'genre') }}

),

final as (

    select
        {{ clean_int('genre_id') }} as genre_id,
        {{ clean_text('name', 'Unknown genre') }} as genre_name,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
