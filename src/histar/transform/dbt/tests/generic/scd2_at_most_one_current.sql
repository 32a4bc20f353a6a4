{#
    SCD2 invariant: at most one current version (end = 9999-12-31) per natural key. A key
    deleted at the source has none.
#}
{% test scd2_at_most_one_current(model, column_name, end_column='end_date', scope='all') %}

with current_versions as (

    select
        {{ column_name }} as natural_key,
        count(*) as current_versions
    from {{ histar_scd2_test_rows(model, column_name, scope) }} as versions_in_scope
    where {{ end_column }} = {{ histar_end_of_time() }}
    group by {{ column_name }}

),

final as (

    select * from current_versions
    where current_versions > 1

)

select * from final

{% endtest %}
