{#
    Customers as SCD2: one row per version of a customer (clean.customer), plus the unknown
    member (-1). The support employee is the version's support_rep_employee_id with that
    employee's current name and title (type 1); fact_invoice_line carries the key of the
    support employee's version valid at the invoice.
#}

with

customers as (

    select * from {{ ref('customer') }}

),

versions as (

    select
        {{ histar_surrogate_key(['customer_id', 'start_date']) }} as customer_key,
        customer_id,
        first_name,
        last_name,
        full_name,
        company,
        city,
        state,
        country,
        region,
        postal_code,
        email,
        support_rep_employee_id,
        start_date,
        end_date,
        {{ histar_valid_from('customer_id') }} as valid_from,
        is_current
    from customers

),

current_employees as (

    select employee_id, full_name, title
    from {{ ref('employee') }}
    where is_current

),

named as (

    select
        versions.customer_key,
        versions.customer_id,
        versions.first_name,
        versions.last_name,
        versions.full_name,
        versions.company,
        versions.city,
        versions.state,
        versions.country,
        versions.region,
        versions.postal_code,
        versions.email,
        versions.support_rep_employee_id,
        coalesce(current_employees.full_name, 'No support employee') as support_rep_name,
        coalesce(current_employees.title, 'Unknown') as support_rep_title,
        versions.start_date,
        versions.end_date,
        versions.valid_from,
        versions.is_current
    from versions
    left join current_employees
        on current_employees.employee_id = versions.support_rep_employee_id

),

unknown_member as (

    select
        cast(-1 as bigint) as customer_key,
        -1 as customer_id,
        cast('Unknown' as {{ dbt.type_string() }}) as first_name,
        cast('Unknown' as {{ dbt.type_string() }}) as last_name,
        cast('Unknown' as {{ dbt.type_string() }}) as full_name,
        cast(null as {{ dbt.type_string() }}) as company,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as state,
        cast('Unknown' as {{ dbt.type_string() }}) as country,
        cast('Other' as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as postal_code,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as integer) as support_rep_employee_id,
        cast('No support employee' as {{ dbt.type_string() }}) as support_rep_name,
        cast('Unknown' as {{ dbt.type_string() }}) as support_rep_title,
        {{ histar_beginning_of_time() }} as start_date,
        {{ histar_end_of_time() }} as end_date,
        {{ histar_beginning_of_time() }} as valid_from,
        true as is_current

),

final as (

    select * from named
    union all
    select * from unknown_member

)

select * from final
