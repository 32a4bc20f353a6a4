{#
    SCD2 invariant: every version has a start and an end, and start < end.
    Apply it to the natural key column (it is reported with the failing rows).
#}
{% test scd2_valid_interval(model, column_name, start_column='start_date', end_column='end_date', scope='all') %}

with final as (

    select
        {{ column_name }} as natural_key,
        {{ start_column }} as start_at,
        {{ end_column }} as end_at
    from {{ histar_scd2_test_rows(model, column_name, scope) }} as versions_in_scope
    where {{ start_column }} is null
        or {{ end_column }} is null
        or not ({{ start_column }} < {{ end_column }})

)

select * from final

{% endtest %}
