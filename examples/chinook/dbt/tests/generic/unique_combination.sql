{#
    No two rows share the values of `columns` (e.g. a natural key and the version's start:
    one row per version, never a duplicate).
#}
{% test unique_combination(model, columns) %}

with counted as (

    select
        {{ columns | join(', ') }},
        count(*) as rows_with_these_values
    from {{ model }}
    group by {{ columns | join(', ') }}

),

final as (

    select * from counted
    where rows_with_these_values > 1

)

select * from final

{% endtest %}
