{# The SCD2 audit columns of a warehouse history table, typed, for staging models. #}
{% macro histar_scd2_columns() -%}
        {{ histar_ts('start_date') }} as start_date,
        {{ histar_ts('end_date') }} as end_date,
        ({{ histar_ts('end_date') }} = {{ histar_end_of_time() }}) as is_current,
        cast(source_id_audit as integer) as source_id_audit,
        cast(insert_id as bigint) as insert_id,
        cast(update_id as bigint) as update_id
{%- endmacro %}

{#
    valid_from of an SCD2 version for point-in-time joins: the version's start_date, except
    that a key's FIRST version is valid from 1900-01-01. History starts at the first load
    (start_date = load time), but the events that reference the key (sales, visits) are older.
#}
{% macro histar_valid_from(natural_key, start_column='start_date') -%}
    case
        when {{ start_column }} = min({{ start_column }}) over (partition by {{ natural_key }})
            then {{ histar_beginning_of_time() }}
        else {{ start_column }}
    end
{%- endmacro %}
