{# Cleaning rules shared by the clean models (see models/clean/_clean__models.yml). #}

{# Text: trimmed, empty string → NULL, and NULL → `default` when one is given. #}
{% macro clean_text(expr, default=none) -%}
    {%- if default is none -%}
    nullif(trim(cast({{ expr }} as {{ dbt.type_string() }})), '')
    {%- else -%}
    coalesce(nullif(trim(cast({{ expr }} as {{ dbt.type_string() }})), ''), '{{ default }}')
    {%- endif -%}
{%- endmacro %}

{# A date from a SQLite text ('2021-01-01 00:00:00') or a PostgreSQL timestamp. #}
{% macro clean_date(expr) -%}
    cast(cast({{ expr }} as timestamp) as date)
{%- endmacro %}

{# Integer keys and counts. #}
{% macro clean_int(expr) -%}
    cast({{ expr }} as integer)
{%- endmacro %}

{# Money: exact decimal(10,2) (SQLite lands it as a double, PostgreSQL as numeric(10,2)). #}
{% macro clean_money(expr) -%}
    {{ histar_money(expr) }}
{%- endmacro %}
