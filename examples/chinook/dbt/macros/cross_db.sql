{# Small portable helpers. Engines differ only where a dispatch is used. #}

{# The open end of a current SCD2 version. #}
{% macro histar_end_of_time() -%}
    cast('9999-12-31 00:00:00' as timestamp)
{%- endmacro %}

{# Valid-from of a key's first version: history starts at the first load, events are older. #}
{% macro histar_beginning_of_time() -%}
    cast('1900-01-01 00:00:00' as timestamp)
{%- endmacro %}

{% macro histar_money(expr) -%}
    cast({{ expr }} as decimal(10, 2))
{%- endmacro %}

{% macro histar_ts(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{# yyyymmdd int of a date or timestamp expression #}
{% macro histar_date_key(expr) -%}
    cast(extract(year from {{ expr }}) * 10000 + extract(month from {{ expr }}) * 100 + extract(day from {{ expr }}) as integer)
{%- endmacro %}

{# Integers 0 .. 10^digits - 1 as column `n`, portable (cross join of digits). #}
{% macro histar_integers(digits) -%}
    select
        {% for i in range(digits) -%}
        d{{ i }}.n * {{ 10 ** i }}{{ " + " if not loop.last }}
        {%- endfor %} as n
    from
        {% for i in range(digits) -%}
        (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
         union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as d{{ i }}
        {{- "\n        cross join " if not loop.last }}
        {%- endfor %}
{%- endmacro %}

{# the date `n` days after date literal `start` #}
{% macro histar_add_days(start, n) -%}
    {{ return(adapter.dispatch('histar_add_days', 'histar_chinook')(start, n)) }}
{%- endmacro %}

{% macro default__histar_add_days(start, n) -%}
    cast(cast('{{ start }}' as date) + cast({{ n }} as integer) as date)
{%- endmacro %}

{% macro duckdb__histar_add_days(start, n) -%}
    cast(cast('{{ start }}' as date) + cast({{ n }} as integer) as date)
{%- endmacro %}

{% macro clickhouse__histar_add_days(start, n) -%}
    addDays(toDate('{{ start }}'), {{ n }})
{%- endmacro %}

{# whole days between two date literals #}
{% macro histar_days_between(start, end) -%}
    {{ return(adapter.dispatch('histar_days_between', 'histar_chinook')(start, end)) }}
{%- endmacro %}

{% macro default__histar_days_between(start, end) -%}
    (cast('{{ end }}' as date) - cast('{{ start }}' as date))
{%- endmacro %}

{% macro duckdb__histar_days_between(start, end) -%}
    date_diff('day', cast('{{ start }}' as date), cast('{{ end }}' as date))
{%- endmacro %}

{% macro clickhouse__histar_days_between(start, end) -%}
    dateDiff('day', toDate('{{ start }}'), toDate('{{ end }}'))
{%- endmacro %}

{# ISO day of week, 1 = Monday .. 7 = Sunday #}
{% macro histar_iso_dow(expr) -%}
    {{ return(adapter.dispatch('histar_iso_dow', 'histar_chinook')(expr)) }}
{%- endmacro %}

{% macro default__histar_iso_dow(expr) -%}
    cast(extract(isodow from {{ expr }}) as integer)
{%- endmacro %}

{% macro clickhouse__histar_iso_dow(expr) -%}
    toDayOfWeek({{ expr }})
{%- endmacro %}
