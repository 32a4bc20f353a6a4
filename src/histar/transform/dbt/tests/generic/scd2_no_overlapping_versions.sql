{#
    SCD2 invariant: per natural key (column_name) the half-open intervals
    [start_column, end_column) never overlap. Ordering the versions by start, each one must
    start at or after the end of the previous one.
#}
{% test scd2_no_overlapping_versions(model, column_name, start_column='start_date', end_column='end_date', scope='all') %}

with versions as (

    select
        {{ column_name }} as natural_key,
        {{ start_column }} as start_at,
        {{ end_column }} as end_at,
        lag({{ end_column }}) over (
            partition by {{ column_name }}
            order by {{ start_column }}, {{ end_column }}
        ) as previous_end_at
    from {{ histar_scd2_test_rows(model, column_name, scope) }} as versions_in_scope
    where {{ column_name }} is not null

),

final as (

    select * from versions
    where previous_end_at > start_at

)

select * from final

{% endtest %}
