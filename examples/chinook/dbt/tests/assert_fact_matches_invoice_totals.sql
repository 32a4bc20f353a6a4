{{ config(severity="warn") }}

{#
    The fact's line amounts add up to each current invoice's total (Invoice.Total is the sum
    of its lines in Chinook): no line lost, none counted twice.
#}

with

lines as (

    select invoice_id, sum(line_amount) as lines_total
    from {{ ref('fact_invoice_line') }}
    group by invoice_id

),

invoices as (

    select invoice_id, invoice_total
    from {{ ref('invoice') }}
    where is_current

),

final as (

    select invoices.invoice_id, invoices.invoice_total, lines.lines_total
    from invoices
    left join lines
        on lines.invoice_id = invoices.invoice_id
    where lines.lines_total is null
        or lines.lines_total <> invoices.invoice_total

)

select * from final
