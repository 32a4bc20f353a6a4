{#
    Rows an SCD2 invariant test looks at. scope='all': every row. scope='latest_batch' (for
    histar's history tables, which carry insert_id / update_id): every version of the keys
    the latest batch inserted or closed. Earlier batches passed the same tests and their
    versions of untouched keys never change, so checking the touched keys keeps the
    invariant for the whole table at a cost that grows with the changes, not the table.
    The full load is batch 1 and touches every key.
#}
{% macro histar_scd2_test_rows(model, column_name, scope='all') -%}
    {%- if scope == 'latest_batch' -%}
    (
        select * from {{ model }}
        where {{ column_name }} in (
            select touched.{{ column_name }}
            from {{ model }} as touched
            where touched.insert_id = (select max(insert_id) from {{ model }})
                or touched.update_id = (select max(update_id) from {{ model }})
        )
    )
    {%- elif scope == 'all' -%}
    {{ model }}
    {%- else -%}
    {{ exceptions.raise_compiler_error("scope must be 'all' or 'latest_batch', got '" ~ scope ~ "'") }}
    {%- endif -%}
{%- endmacro %}
