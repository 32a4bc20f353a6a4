{#
    Employees as SCD2: one row per version of an employee (clean.employee), plus the unknown
    member (-1). manager_name is the manager's current name (type 1).
#}

with

employees as (

    select * from {{ ref('employee') }}

),

versions as (

    select
        {{ histar_surrogate_key(['employee_id', 'start_date']) }} as employee_key,
        employee_id,
        first_name,
        last_name,
        full_name,
        title,
        reports_to_employee_id,
        hire_date,
        city,
        state,
        country,
        email,
        start_date,
        end_date,
        {{ histar_valid_from('employee_id') }} as valid_from,
        is_current
    from employees

),

current_managers as (

    select employee_id, full_name
    from employees
    where is_current

),

named as (

    select
        versions.employee_key,
        versions.employee_id,
        versions.first_name,
        versions.last_name,
        versions.full_name,
        versions.title,
        versions.reports_to_employee_id,
        coalesce(current_managers.full_name, 'No manager') as manager_name,
        versions.hire_date,
        versions.city,
        versions.state,
        versions.country,
        versions.email,
        versions.start_date,
        versions.end_date,
        versions.valid_from,
        versions.is_current
    from versions
    left join current_managers
        on current_managers.employee_id = versions.reports_to_employee_id

),

unknown_member as (

    select
        cast(-1 as bigint) as employee_key,
        -1 as employee_id,
        cast('Unknown' as {{ dbt.type_string() }}) as first_name,
        cast('Unknown' as {{ dbt.type_string() }}) as last_name,
        cast('Unknown' as {{ dbt.type_string() }}) as full_name,
        cast('Unknown' as {{ dbt.type_string() }}) as title,
        cast(null as integer) as reports_to_employee_id,
        cast('Unknown' as {{ dbt.type_string() }}) as manager_name,
        cast(null as date) as hire_date,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as state,
        cast('Unknown' as {{ dbt.type_string() }}) as country,
        cast(null as {{ dbt.type_string() }}) as email,
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
