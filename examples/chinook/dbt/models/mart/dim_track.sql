{#
    Tracks as SCD2: one row per version of a track (clean.track), plus the unknown member
    (-1), with the album, artist, genre and media type of the version's ids under their
    current names (type 1: renaming an artist renames it in every track version).
#}

with

tracks as (

    select * from {{ ref('track') }}

),

versions as (

    select
        {{ histar_surrogate_key(['track_id', 'start_date']) }} as track_key,
        track_id,
        track_name,
        album_id,
        genre_id,
        media_type_id,
        composer,
        milliseconds,
        duration_seconds,
        list_unit_price,
        start_date,
        end_date,
        {{ histar_valid_from('track_id') }} as valid_from,
        is_current
    from tracks

),

albums as (

    select album_id, album_title, artist_id
    from {{ ref('album') }}
    where is_current

),

artists as (

    select artist_id, artist_name
    from {{ ref('artist') }}
    where is_current

),

genres as (

    select genre_id, genre_name
    from {{ ref('genre') }}
    where is_current

),

media_types as (

    select media_type_id, media_type_name
    from {{ ref('media_type') }}
    where is_current

),

named as (

    select
        versions.track_key,
        versions.track_id,
        versions.track_name,
        versions.album_id,
        coalesce(albums.album_title, 'Unknown album') as album_title,
        albums.artist_id,
        coalesce(artists.artist_name, 'Unknown artist') as artist_name,
        versions.genre_id,
        coalesce(genres.genre_name, 'Unknown genre') as genre_name,
        versions.media_type_id,
        coalesce(media_types.media_type_name, 'Unknown media type') as media_type_name,
        versions.composer,
        versions.milliseconds,
        versions.duration_seconds,
        versions.list_unit_price,
        versions.start_date,
        versions.end_date,
        versions.valid_from,
        versions.is_current
    from versions
    left join albums
        on albums.album_id = versions.album_id
    left join artists
        on artists.artist_id = albums.artist_id
    left join genres
        on genres.genre_id = versions.genre_id
    left join media_types
        on media_types.media_type_id = versions.media_type_id

),

unknown_member as (

    select
        cast(-1 as bigint) as track_key,
        -1 as track_id,
        cast('Unknown track' as {{ dbt.type_string() }}) as track_name,
        cast(null as integer) as album_id,
        cast('Unknown album' as {{ dbt.type_string() }}) as album_title,
        cast(null as integer) as artist_id,
        cast('Unknown artist' as {{ dbt.type_string() }}) as artist_name,
        cast(null as integer) as genre_id,
        cast('Unknown genre' as {{ dbt.type_string() }}) as genre_name,
        cast(null as integer) as media_type_id,
        cast('Unknown media type' as {{ dbt.type_string() }}) as media_type_name,
        cast(null as {{ dbt.type_string() }}) as composer,
        cast(null as integer) as milliseconds,
        cast(null as decimal(10, 3)) as duration_seconds,
        cast(null as decimal(10, 2)) as list_unit_price,
        {{ histar_beginning_of_time() }} as start_date,
        {{ histar_end_of_time() }} as end_date,
        {{ histar_beginning_of_time() }} as valid_from,
        true as is_current

),

final as (

    select * from named
    union all
    select * from unknown_member

)

select * from final
