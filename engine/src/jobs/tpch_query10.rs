//! `TPCHQuery10 --input DIR [--output PATH]`: TPC-H Q10, the returned item reporting query,
//! with the specification's validation parameter (DATE = 1993-10-01):
//!
//! ```sql
//! select c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) as revenue,
//!        c_acctbal, n_name, c_address, c_phone, c_comment
//! from customer, orders, lineitem, nation
//! where c_custkey = o_custkey and l_orderkey = o_orderkey
//!   and o_orderdate >= date '1993-10-01'
//!   and o_orderdate < date '1993-10-01' + interval '3' month
//!   and l_returnflag = 'R' and c_nationkey = n_nationkey
//! group by c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
//! order by revenue desc
//! limit 20;
//! ```
//!
//! Plan: returned line items ⋈ the quarter's orders on the order key, summed per customer
//! (the customer key decides the group: every other grouped column depends on it), ⋈
//! customers, ⋈ nations, then the top 20.

use clap::Parser;

use crate::api::{ExecutionEnvironment, Order};
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::tpch_output::{emit_lines, format_cents, format_ten_thousandths, top_n};
use crate::jobs::tpch_tables::{Customer, LineItem, Nation, Order as OrderRow, TpchTables};

const DATE_FROM: u32 = 19_931_001;
const DATE_TO: u32 = 19_940_101;

#[derive(Debug, Parser)]
struct QueryArguments {
    /// Directory with customer.tbl, orders.tbl, lineitem.tbl and nation.tbl.
    #[arg(long)]
    input: String,
    /// Output file; prints when absent.
    #[arg(long)]
    output: Option<String>,
    /// Skip malformed rows (counted in the summary) instead of failing on the first.
    #[arg(long)]
    skip_bad_records: bool,
}

/// (custkey, name, revenue, acctbal cents, nation name, address, phone, comment)
type Row = (i64, String, i64, i64, String, String, String, String);

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: QueryArguments = parse_job_arguments("TPCHQuery10", arguments)?;
    let tables = TpchTables::new(env, &arguments.input, arguments.skip_bad_records);
    let orders = tables
        .read::<OrderRow>("orders")
        .filter(|order| (DATE_FROM..DATE_TO).contains(&order.orderdate))
        .map(|order| (order.orderkey, order.custkey))
        .name("Orders (quarter)");
    let returned = tables
        .read::<LineItem>("lineitem")
        .filter(|item| item.returnflag == b'R')
        .map(|item| (item.orderkey, item.revenue()))
        .name("LineItems (returned)");
    let revenue = returned
        .join(&orders, |item| item.0, |order| order.0)
        .with(|item, order| (order.1, item.1))
        .name("LineItems ⋈ Orders")
        .group_by(|row: &(i64, i64)| row.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .name("Revenue per customer");
    let customers = tables.read::<Customer>("customer");
    let nations = tables.read::<Nation>("nation");
    let with_customer = revenue
        .join(&customers, |row| row.0, |customer| customer.custkey)
        .with(|row, customer| (customer.clone(), row.1))
        .name("Revenue ⋈ Customers");
    let rows = with_customer
        .join(
            &nations,
            |(customer, _)| customer.nationkey,
            |nation| nation.nationkey,
        )
        .with(|(customer, revenue), nation| -> Row {
            (
                customer.custkey,
                customer.name.clone(),
                *revenue,
                customer.acctbal_cents,
                nation.name.clone(),
                customer.address.clone(),
                customer.phone.clone(),
                customer.comment.clone(),
            )
        })
        .name("⋈ Nations");
    let top = top_n(&rows, |row: &Row| (-row.2, row.0), Order::Ascending, 20);
    let lines = top
        .map(|row: Row| {
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{}",
                row.0,
                row.1,
                format_ten_thousandths(row.2),
                format_cents(row.3),
                row.4,
                row.5,
                row.6,
                row.7
            )
        })
        .name("Format");
    emit_lines(env, lines, arguments.output.as_deref(), "TPCHQuery10")?;
    Ok(JobOutcome::Succeeded)
}
