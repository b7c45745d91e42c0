#!/usr/bin/env python3
"""A plain-Python oracle for TPC-H Q3 and Q10 over dbgen-format .tbl files.

    python3 scripts/tpch/oracle.py {3|10} DIR

Prints the query's result rows, `|`-delimited, in the query's select order and ORDER BY, with its
LIMIT. Written as straightforward loops over the rows (no SQL engine), as the second, independent
way of computing the expected outputs of engine/tests/data/tpch-tiny (the first is DuckDB running
the specification's SQL, scripts/lib/duckdb_run.py).

Arithmetic is exact: decimal.Decimal for l_extendedprice * (1 - l_discount) and the sums; the sum
is rounded once, at output, to 2 decimals half away from zero (ROUND_HALF_UP in Python's decimal
module rounds ties away from zero). Ordering uses the exact, unrounded revenue.

Exits non-zero (with a message) when the order of the printed rows is not unique: two rows at or
around the LIMIT boundary, or within the output, that compare equal under the ORDER BY, or whose
revenues round to the same printed value with a different exact value (an engine rounding before
sorting could then legally disagree).
"""

import datetime
import os
import sys
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

COLUMNS = {
    "customer": ["c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal",
                 "c_mktsegment", "c_comment"],
    "orders": ["o_orderkey", "o_custkey", "o_orderstatus", "o_totalprice", "o_orderdate",
               "o_orderpriority", "o_clerk", "o_shippriority", "o_comment"],
    "lineitem": ["l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity",
                 "l_extendedprice", "l_discount", "l_tax", "l_returnflag", "l_linestatus",
                 "l_shipdate", "l_commitdate", "l_receiptdate", "l_shipinstruct", "l_shipmode",
                 "l_comment"],
    "nation": ["n_nationkey", "n_name", "n_regionkey", "n_comment"],
}


def read_table(directory, name):
    """Rows of NAME.tbl as dicts of strings; every line must end with `|`."""
    columns = COLUMNS[name]
    rows = []
    with open(os.path.join(directory, f"{name}.tbl"), encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.endswith("|"):
                sys.exit(f"oracle: {name}.tbl line {number}: no trailing '|'")
            fields = line[:-1].split("|")
            if len(fields) != len(columns):
                sys.exit(f"oracle: {name}.tbl line {number}: {len(fields)} fields, "
                         f"expected {len(columns)}")
            rows.append(dict(zip(columns, fields)))
    return rows


def date(text):
    return datetime.date.fromisoformat(text)


def cents(value):
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def check_unique_order(keys, limit, query):
    """keys: the sort keys of all groups, already sorted; fail if the first `limit` rows (and the
    row after them) are not uniquely ordered."""
    shown = keys[:limit + 1]
    for a, b in zip(shown, shown[1:]):
        if a == b:
            sys.exit(f"oracle: Q{query}: tie in the ORDER BY keys {a} within the first "
                     f"{limit + 1} rows; the expected output would not be unique")
        if a[0] != b[0] and a[0].quantize(CENT, ROUND_HALF_UP) == b[0].quantize(CENT,
                                                                                ROUND_HALF_UP):
            sys.exit(f"oracle: Q{query}: revenues {-a[0]} and {-b[0]} print the same")


def q3(directory):
    segment, cutoff = "BUILDING", date("1995-03-15")
    building = {c["c_custkey"] for c in read_table(directory, "customer")
                if c["c_mktsegment"] == segment}
    orders = {}
    for o in read_table(directory, "orders"):
        if o["o_custkey"] in building and date(o["o_orderdate"]) < cutoff:
            orders[o["o_orderkey"]] = (date(o["o_orderdate"]), int(o["o_shippriority"]))
    revenue = {}
    for item in read_table(directory, "lineitem"):
        key = item["l_orderkey"]
        if key in orders and date(item["l_shipdate"]) > cutoff:
            value = Decimal(item["l_extendedprice"]) * (1 - Decimal(item["l_discount"]))
            revenue[key] = revenue.get(key, Decimal(0)) + value
    groups = [(-total, orders[key][0], key) for key, total in revenue.items()]
    groups.sort(key=lambda g: (g[0], g[1]))
    check_unique_order([(g[0], g[1]) for g in groups], 10, 3)
    out = []
    for neg_total, orderdate, key in groups[:10]:
        out.append("|".join([key, cents(-neg_total), orderdate.isoformat(),
                             str(orders[key][1])]))
    return out


def q10(directory):
    start, end = date("1993-10-01"), date("1994-01-01")  # date '1993-10-01' + 3 months
    nations = {n["n_nationkey"]: n["n_name"] for n in read_table(directory, "nation")}
    customers = {c["c_custkey"]: c for c in read_table(directory, "customer")}
    order_customer = {}
    for o in read_table(directory, "orders"):
        if start <= date(o["o_orderdate"]) < end:
            order_customer[o["o_orderkey"]] = o["o_custkey"]
    revenue = {}
    for item in read_table(directory, "lineitem"):
        custkey = order_customer.get(item["l_orderkey"])
        if custkey is not None and item["l_returnflag"] == "R":
            value = Decimal(item["l_extendedprice"]) * (1 - Decimal(item["l_discount"]))
            revenue[custkey] = revenue.get(custkey, Decimal(0)) + value
    # Inner join with nation: customers whose nation is missing drop out.
    groups = [(-total, custkey) for custkey, total in revenue.items()
              if customers[custkey]["c_nationkey"] in nations]
    groups.sort(key=lambda g: g[0])
    check_unique_order([(g[0],) for g in groups], 20, 10)
    out = []
    for neg_total, custkey in groups[:20]:
        c = customers[custkey]
        out.append("|".join([custkey, c["c_name"], cents(-neg_total),
                             cents(Decimal(c["c_acctbal"])), nations[c["c_nationkey"]],
                             c["c_address"], c["c_phone"], c["c_comment"]]))
    return out


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("3", "10"):
        sys.exit("usage: oracle.py {3|10} DIR")
    rows = q3(sys.argv[2]) if sys.argv[1] == "3" else q10(sys.argv[2])
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
