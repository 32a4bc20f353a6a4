with

source as (

    select * from {{ source('chinook', 'media_type') }}

),

final as (

    select
        {{ clean_int('media_type_id') }} as media_type_id,
        {{ clean_text('name', 'Unknown media type') }} as media_type_name,
        {{ histar_scd2_columns() }}
    from source

)

select * from final
