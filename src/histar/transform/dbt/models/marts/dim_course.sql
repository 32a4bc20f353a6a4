{#
    One row per version of a course, where a version ends when the course, its subcategory or
    that subcategory's category changes: the three SCD2 timelines are combined. For every
    course version we collect its change points (its own start, plus the starts of the
    subcategory / category versions that begin inside it), cut it into segments at those
    points, and look up the subcategory and category versions valid at each segment's start.
    Subcategory / category first versions count from 1900-01-01 (as in the other dims).
#}

with

courses as (

    select * from {{ ref('stg_school__courses') }}

),

subcategories as (

    select
        subcategory_id,
        category_id,
        subcategory_name,
        {{ histar_valid_from('subcategory_id') }} as valid_from,
        end_date
    from {{ ref('stg_school__subcategories') }}

),

categories as (

    select
        category_id,
        category_name,
        {{ histar_valid_from('category_id') }} as valid_from,
        end_date
    from {{ ref('stg_school__categories') }}

),

change_points as (

    select
        course_id,
        start_date as course_start_date,
        start_date as changed_at
    from courses

    union distinct

    select
        courses.course_id,
        courses.start_date as course_start_date,
        subcategories.valid_from as changed_at
    from courses
    inner join subcategories
        on subcategories.subcategory_id = courses.subcategory_id
        and subcategories.valid_from > courses.start_date
        and subcategories.valid_from < courses.end_date

    union distinct

    select
        courses.course_id,
        courses.start_date as course_start_date,
        categories.valid_from as changed_at
    from courses
    inner join subcategories
        on subcategories.subcategory_id = courses.subcategory_id
        and subcategories.valid_from < courses.end_date
        and subcategories.end_date > courses.start_date
    inner join categories
        on categories.category_id = subcategories.category_id
        and categories.valid_from > greatest(courses.start_date, subcategories.valid_from)
        and categories.valid_from < least(courses.end_date, subcategories.end_date)

),

segments as (

    select
        change_points.course_id,
        change_points.changed_at as start_date,
        coalesce(
            lead(change_points.changed_at) over (
                partition by change_points.course_id, change_points.course_start_date
                order by change_points.changed_at
            ),
            courses.end_date
        ) as end_date,
        courses.subcategory_id,
        courses.course_title,
        courses.course_level,
        courses.course_price,
        courses.created_at
    from change_points
    inner join courses
        on courses.course_id = change_points.course_id
        and courses.start_date = change_points.course_start_date

),

versions as (

    select
        {{ histar_surrogate_key(['segments.course_id', 'segments.start_date']) }} as course_key,
        segments.course_id,
        segments.course_title,
        segments.course_level,
        segments.course_price,
        segments.created_at,
        segments.subcategory_id,
        subcategories.subcategory_name,
        subcategories.category_id,
        categories.category_name,
        segments.start_date,
        segments.end_date,
        {{ histar_valid_from('segments.course_id', 'segments.start_date') }} as valid_from,
        segments.end_date = {{ histar_end_of_time() }} as is_current
    from segments
    left join subcategories
        on subcategories.subcategory_id = segments.subcategory_id
        and subcategories.valid_from <= segments.start_date
        and segments.start_date < subcategories.end_date
    left join categories
        on categories.category_id = subcategories.category_id
        and categories.valid_from <= segments.start_date
        and segments.start_date < categories.end_date

),

unknown_member as (

    select
        cast(-1 as bigint) as course_key,
        cast(-1 as bigint) as course_id,
        cast('Unknown' as {{ dbt.type_string() }}) as course_title,
        cast('Unknown' as {{ dbt.type_string() }}) as course_level,
        {{ histar_money('null') }} as course_price,
        cast(null as timestamp) as created_at,
        cast(-1 as bigint) as subcategory_id,
        cast('Unknown' as {{ dbt.type_string() }}) as subcategory_name,
        cast(-1 as bigint) as category_id,
        cast('Unknown' as {{ dbt.type_string() }}) as category_name,
        {{ histar_beginning_of_time() }} as start_date,
        {{ histar_end_of_time() }} as end_date,
        {{ histar_beginning_of_time() }} as valid_from,
        true as is_current

),

final as (

    select * from versions
    union all
    select * from unknown_member

)

select * from final
