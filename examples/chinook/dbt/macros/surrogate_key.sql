{#
    histar_surrogate_key(['user_id', 'start_date'])

    A stable bigint surrogate key: the first 60 bits of md5(<values joined by '|'>), so it is
    always positive (the unknown member's -1 can never collide), identical on every engine for
    the same input text, and does not change when later batches add versions (it depends only
    on the natural key and the version's own start).  md5 rather than duckdb's hash(): that
    function is not guaranteed stable across duckdb releases, and facts keep old keys.
#}
{% macro histar_surrogate_key(fields) -%}
    {%- set parts = [] -%}
    {%- for field in fields -%}
        {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '~null~')") -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('histar_hash_to_bigint', 'histar_chinook')(parts | join(" || '|' || "))) }}
{%- endmacro %}

{% macro default__histar_hash_to_bigint(expr) -%}
    cast(('0x' || substr(md5({{ expr }}), 1, 15)) as bigint)
{%- endmacro %}

{% macro duckdb__histar_hash_to_bigint(expr) -%}
    cast(('0x' || substr(md5({{ expr }}), 1, 15)) as bigint)
{%- endmacro %}

{% macro postgres__histar_hash_to_bigint(expr) -%}
    (('x' || lpad(substr(md5({{ expr }}), 1, 15), 16, '0'))::bit(64)::bigint)
{%- endmacro %}

{% macro clickhouse__histar_hash_to_bigint(expr) -%}
    toInt64(bitShiftRight(reinterpretAsUInt64(reverse(unhex(substring(hex(MD5({{ expr }})), 1, 16)))), 4))
{%- endmacro %}
