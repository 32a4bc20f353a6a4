{#
    Grain: one row per invoice line (the current version of each invoice_line_id; a line
    deleted at the source leaves the fact). Every dimension key is the version valid on the
    invoice date (valid_from <= invoice date < end_date), or -1 (unknown member).
    support_employee_key: the support employee of the customer version valid at the invoice,
    in that employee's version valid at the invoice.
    Money: unit_price and line_amount = unit_price * quantity, decimal(10,2).
#}

with

lines as (

    select * from {{ ref('invoice_line') }}
    where is_current

),

invoices as (

    select
        invoice_id,
        customer_id,
        invoice_date,
        {{ histar_ts('invoice_date') }} as invoiced_at,
        billing_city,
        billing_country,
        billing_region
    from {{ ref('invoice') }}
    where is_current

),

customers as (

    select * from {{ ref('dim_customer') }}

),

tracks as (

    select * from {{ ref('dim_track') }}

),

employees as (

    select * from {{ ref('dim_employee') }}

),

final as (

    select
        lines.invoice_line_id,
        lines.invoice_id,
        coalesce({{ histar_date_key('invoices.invoice_date') }}, -1) as date_key,
        coalesce(customers.customer_key, -1) as customer_key,
        coalesce(tracks.track_key, -1) as track_key,
        coalesce(employees.employee_key, -1) as support_employee_key,
        invoices.customer_id,
        lines.track_id,
        customers.support_rep_employee_id as support_employee_id,
        invoices.invoice_date,
        coalesce(invoices.billing_city, 'Unknown') as billing_city,
        coalesce(invoices.billing_country, 'Unknown') as billing_country,
        coalesce(invoices.billing_region, 'Other') as billing_region,
        lines.quantity,
        lines.unit_price,
        lines.line_amount,
        lines.insert_id as batch_id
    from lines
    left join invoices
        on invoices.invoice_id = lines.invoice_id
    left join customers
        on customers.customer_id = invoices.customer_id
        and customers.valid_from <= invoices.invoiced_at
        and invoices.invoiced_at < customers.end_date
    left join tracks
        on tracks.track_id = lines.track_id
        and tracks.valid_from <= invoices.invoiced_at
        and invoices.invoiced_at < tracks.end_date
    left join employees
        on employees.employee_id = customers.support_rep_employee_id
        and employees.valid_from <= invoices.invoiced_at
        and invoices.invoiced_at < employees.end_date

)

select * from final
