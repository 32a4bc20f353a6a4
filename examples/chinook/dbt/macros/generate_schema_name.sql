{#
    Models land in exactly the schema named by their `schema` config (var staging_schema for
    staging, var star_schema for marts), with no `<target.schema>_` prefix. Nodes without a
    custom schema (tests' audit tables, seeds) use the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
