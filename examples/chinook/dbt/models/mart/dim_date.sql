{#
    A fixed, wide calendar: one row per day from var date_spine_start to var date_spine_end
    (default 2020-01-01 .. 2030-12-31), plus an unknown member (date_key -1) for facts
    without a date. Built portably from a cross join of digits (no engine generators).
#}

{%- set spine_start = var('date_spine_start', '2020-01-01') -%}
{%- set spine_end = var('date_spine_end', '2030-12-31') -%}

with

integers as (

    {{ histar_integers(5) }}

),

days as (

    select {{ histar_add_days(spine_start, 'n') }} as date_day
    from integers
    where n <= {{ histar_days_between(spine_start, spine_end) }}

),

calendar as (

    select
        {{ histar_date_key('date_day') }} as date_key,
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(day from date_day) as integer) as day_of_month,
        {{ histar_iso_dow('date_day') }} as day_of_week
    from days

),

named as (

    select
        date_key,
        date_day,
        year_number,
        quarter_number,
        'Q' || cast(quarter_number as {{ dbt.type_string() }}) as quarter_name,
        month_number,
        case month_number
            when 1 then 'January' when 2 then 'February' when 3 then 'March'
            when 4 then 'April' when 5 then 'May' when 6 then 'June'
            when 7 then 'July' when 8 then 'August' when 9 then 'September'
            when 10 then 'October' when 11 then 'November' when 12 then 'December'
        end as month_name,
        year_number * 100 + month_number as year_month,
        cast(year_number as {{ dbt.type_string() }}) || '-'
            || lpad(cast(month_number as {{ dbt.type_string() }}), 2, '0') as month_label,
        year_number * 12 + month_number - 1 as month_index,
        day_of_month,
        day_of_week,
        case day_of_week
            when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday'
            when 4 then 'Thursday' when 5 then 'Friday' when 6 then 'Saturday'
            when 7 then 'Sunday'
        end as day_name,
        day_of_week >= 6 as is_weekend
    from calendar

),

unknown_member as (

    select
        -1 as date_key,
        cast(null as date) as date_day,
        cast(null as integer) as year_number,
        cast(null as integer) as quarter_number,
        cast('Unknown' as {{ dbt.type_string() }}) as quarter_name,
        cast(null as integer) as month_number,
        cast('Unknown' as {{ dbt.type_string() }}) as month_name,
        cast(null as integer) as year_month,
        cast('Unknown' as {{ dbt.type_string() }}) as month_label,
        cast(null as integer) as month_index,
        cast(null as integer) as day_of_month,
        cast(null as integer) as day_of_week,
        cast('Unknown' as {{ dbt.type_string() }}) as day_name,
        cast(null as boolean) as is_weekend

),

final as (

    select * from named
    union all
    select * from unknown_member

)

select * from final
