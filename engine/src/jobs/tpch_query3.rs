//! `TPCHQuery3 --input DIR [--output PATH]`: TPC-H Q3, the shipping priority query, with the
//! specification's validation parameters (SEGMENT = 'BUILDING', DATE = 1995-03-15):
//!
//! ```sql
//! select l_orderkey, sum(l_extendedprice * (1 - l_discount)) as revenue,
//!        o_orderdate, o_shippriority
//! from customer, orders, lineitem
//! where c_mktsegment = 'BUILDING' and c_custkey = o_custkey and l_orderkey = o_orderkey
//!   and o_orderdate < date '1995-03-15' and l_shipdate > date '1995-03-15'
//! group by l_orderkey, o_orderdate, o_shippriority
//! order by revenue desc, o_orderdate
//! limit 10;
//! ```
//!
//! Plan: filtered customers ⋈ filtered orders on the customer key (the optimizer picks the
//! strategy from the file sizes), ⋈ filtered line items on the order key, summed per order,
//! then the top 10.

use clap::Parser;

use crate::api::{ExecutionEnvironment, Order};
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::tpch_output::{emit_lines, format_ten_thousandths, top_n};
use crate::jobs::tpch_tables::{Customer, LineItem, Order as OrderRow, TpchTables, format_date};

const SEGMENT: &str = "BUILDING";
const DATE: u32 = 19_950_315;

#[derive(Debug, Parser)]
struct QueryArguments {
    /// Directory with customer.tbl, orders.tbl and lineitem.tbl.
    #[arg(long)]
    input: String,
    /// Output file; prints when absent.
    #[arg(long)]
    output: Option<String>,
    /// Skip malformed rows (counted in the summary) instead of failing on the first.
    #[arg(long)]
    skip_bad_records: bool,
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: QueryArguments = parse_job_arguments("TPCHQuery3", arguments)?;
    let tables = TpchTables::new(env, &arguments.input, arguments.skip_bad_records);
    let customers = tables
        .read::<Customer>("customer")
        .filter(|customer| customer.mktsegment == SEGMENT)
        .map(|customer| customer.custkey)
        .name("Customers (BUILDING)");
    let orders = tables
        .read::<OrderRow>("orders")
        .filter(|order| order.orderdate < DATE)
        .name("Orders (before DATE)");
    let items = tables
        .read::<LineItem>("lineitem")
        .filter(|item| item.shipdate > DATE)
        .map(|item| (item.orderkey, item.revenue()))
        .name("LineItems (shipped after DATE)");
    // (orderkey, orderdate, shippriority) of the segment's orders.
    let segment_orders = orders
        .join(&customers, |order| order.custkey, |custkey| *custkey)
        .with(|order, _| (order.orderkey, order.orderdate, order.shippriority))
        .name("Orders ⋈ Customers");
    let revenue = items
        .join(&segment_orders, |item| item.0, |order| order.0)
        .with(|item, order| (order.0, order.1, order.2, item.1))
        .name("LineItems ⋈ Orders")
        .group_by(|row: &(i64, u32, i64, i64)| (row.0, row.1, row.2))
        .reduce(|a, b| (a.0, a.1, a.2, a.3 + b.3))
        .name("Revenue per order");
    let top = top_n(&revenue, |row| (-row.3, row.1), Order::Ascending, 10);
    let lines = top
        .map(|(orderkey, orderdate, shippriority, revenue)| {
            format!(
                "{orderkey}|{}|{}|{shippriority}",
                format_ten_thousandths(revenue),
                format_date(orderdate)
            )
        })
        .name("Format");
    emit_lines(env, lines, arguments.output.as_deref(), "TPCHQuery3")?;
    Ok(JobOutcome::Succeeded)
}
