#!/usr/bin/env python3
"""Writes the hand-crafted TPC-H test dataset engine/tests/data/tpch-tiny/*.tbl.

    python3 scripts/tpch/make_tiny_dataset.py [OUT_DIR]

Four tables (nation, customer, orders, lineitem) with every column of the TPC-H specification in
the specification's order, in dbgen's format: `|` after every field (so each line ends with `|`),
dates as YYYY-MM-DD, money with two decimals, quantities as integers, discounts and taxes as
0.xx. The file is deterministic (fixed seed); rerunning it rewrites byte-identical files.

The rows are not random filler only: the `q3_*` and `q10_*` functions below place orders and
line items at the edges of the predicates of TPC-H Q3 (segment 'BUILDING', date 1995-03-15) and
Q10 (date 1993-10-01): dates on both sides of every bound, line items that are filtered out of an
order that stays in, return flags other than 'R', ties on revenue broken by the ORDER BY, and
half-cent revenues whose rounding tells exact decimal arithmetic (half away from zero) from
binary floating point or banker's rounding. See engine/tests/data/tpch-tiny/README.md.
"""

import datetime
import os
import random
import sys
from decimal import Decimal

SEED = 20261107
CUTOFF = datetime.date(1995, 6, 17)  # dbgen's "current date": return flag / line status rule

NATIONS = [
    (0, "ALGERIA", 0), (1, "ARGENTINA", 1), (2, "BRAZIL", 1), (3, "CANADA", 1), (4, "EGYPT", 4),
    (5, "ETHIOPIA", 0), (6, "FRANCE", 3), (7, "GERMANY", 3), (8, "INDIA", 2), (9, "INDONESIA", 2),
    (10, "IRAN", 4), (11, "IRAQ", 4), (12, "JAPAN", 2), (13, "JORDAN", 4), (14, "KENYA", 0),
    (15, "MOROCCO", 0), (16, "MOZAMBIQUE", 0), (17, "PERU", 1), (18, "CHINA", 2),
    (19, "ROMANIA", 3), (20, "SAUDI ARABIA", 4), (21, "VIETNAM", 2), (22, "RUSSIA", 3),
    (23, "UNITED KINGDOM", 3), (24, "UNITED STATES", 1),
]
SEGMENTS = ["AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"]
PRIORITIES = ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"]
INSTRUCTIONS = ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]
MODES = ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]
STREETS = ["Harbor Road", "Elm Street", "Quay, Dock 3", "Rue de la Paix", "Avenida Paulista",
           "Old Mill Lane", "Station Approach", "Kings Cross, Unit 9"]
WORDS = ["carefully", "final", "deposits", "sleep", "furiously", "regular", "requests", "haggle",
         "quickly", "ironic", "accounts", "pending", "packages", "boost", "slyly", "express",
         "theodolites", "pinto beans", "foxes", "blithely"]


def d(text):
    return datetime.date.fromisoformat(text)


def money(value):
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


class Dataset:
    def __init__(self):
        self.random = random.Random(SEED)
        self.customers = {}  # custkey -> row (list of strings)
        self.orders = []  # rows
        self.lineitems = []  # rows
        self.next_orderkey = 1

    # ---- helpers --------------------------------------------------------------------------

    def phrase(self, words):
        rng = self.random
        parts = [rng.choice(WORDS) for _ in range(words)]
        # Commas and spaces inside the text: the comma must survive the `|` format untouched.
        cut = rng.randrange(1, words)
        return " ".join(parts[:cut]) + ", " + " ".join(parts[cut:])

    def add_customer(self, custkey, segment, nationkey, acctbal=None, address=None, comment=None):
        rng = self.random
        if acctbal is None:
            acctbal = Decimal(rng.randrange(-99999, 999999)) / 100
        if address is None:
            address = f"{rng.randrange(1, 999)} {rng.choice(STREETS)}, Apt {rng.randrange(1, 60)}"
        if comment is None:
            comment = self.phrase(rng.randrange(3, 9))
        phone = (f"{nationkey + 10}-{rng.randrange(100, 1000)}-{rng.randrange(100, 1000)}-"
                 f"{rng.randrange(1000, 10000)}")
        self.customers[custkey] = [str(custkey), f"Customer#{custkey:09d}", address,
                                   str(nationkey), phone, money(acctbal), segment, comment]

    def add_order(self, custkey, orderdate, lines, shippriority=0):
        """lines: list of (extendedprice, discount, shipdate or None, returnflag or None).

        A None shipdate is drawn from orderdate + 1..121 days; a None return flag follows dbgen's
        rule (R or A when received by 1995-06-17, else N).
        """
        rng = self.random
        orderkey = self.next_orderkey
        # Sparse keys like dbgen's (8 keys used out of every 32).
        self.next_orderkey += 1 if orderkey % 8 else 25
        orderdate = d(orderdate)
        statuses = []
        total = Decimal(0)
        for number, (price, discount, shipdate, flag) in enumerate(lines, start=1):
            price = Decimal(price)
            discount = Decimal(discount)
            tax = Decimal(rng.randrange(0, 9)) / 100
            shipdate = d(shipdate) if shipdate else orderdate + datetime.timedelta(
                days=rng.randrange(1, 122))
            commitdate = orderdate + datetime.timedelta(days=rng.randrange(30, 91))
            receiptdate = shipdate + datetime.timedelta(days=rng.randrange(1, 31))
            if flag is None:
                flag = rng.choice("RA") if receiptdate <= CUTOFF else "N"
            status = "O" if shipdate > CUTOFF else "F"
            statuses.append(status)
            quantity = max(1, min(50, int(price / 1500) + 1))
            partkey = rng.randrange(1, 200001)
            suppkey = rng.randrange(1, 10001)
            total += price * (1 + tax) * (1 - discount)
            self.lineitems.append([
                str(orderkey), str(partkey), str(suppkey), str(number), str(quantity), money(price),
                f"{discount:.2f}", f"{tax:.2f}", flag, status, shipdate.isoformat(),
                commitdate.isoformat(), receiptdate.isoformat(), rng.choice(INSTRUCTIONS),
                rng.choice(MODES), self.phrase(rng.randrange(2, 6)),
            ])
        orderstatus = "F" if all(s == "F" for s in statuses) else (
            "O" if all(s == "O" for s in statuses) else "P")
        self.orders.append([
            str(orderkey), str(custkey), orderstatus, money(total), orderdate.isoformat(),
            rng.choice(PRIORITIES), f"Clerk#{rng.randrange(1, 1001):09d}", str(shippriority),
            self.phrase(rng.randrange(3, 8)),
        ])
        return orderkey

    def write(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        tables = {
            "nation": [[str(k), name, str(region), " " + self.phrase(5)]
                       for k, name, region in NATIONS],
            "customer": [self.customers[k] for k in sorted(self.customers)],
            "orders": self.orders,
            "lineitem": self.lineitems,
        }
        for name, rows in tables.items():
            for row in rows:
                assert all("|" not in field and "\n" not in field for field in row), row
            with open(os.path.join(out_dir, f"{name}.tbl"), "w", encoding="ascii",
                      newline="\n") as f:
                for row in rows:
                    f.write("|".join(row) + "|\n")


def customers(data):
    """48 customers; segment and nation follow the key, a few have crafted text fields."""
    for custkey in range(1, 49):
        segment = SEGMENTS[(custkey * 3) % 5]
        data.add_customer(custkey, segment, (custkey * 7) % 25)
    # Text fields with leading spaces, commas and runs of spaces: printed back unchanged by Q10.
    data.add_customer(7, "BUILDING", 3, acctbal=Decimal("-837.15"),
                      address=" 4 Mill Lane,  Flat 2, Rear Entrance",
                      comment="slyly ironic, packages  wake: quickly, finally")
    data.add_customer(12, "MACHINERY", 24, acctbal=Decimal("0.00"),
                      address="Po Box 12,Main St,,Springfield",
                      comment=" leading space, then commas, , and a period.")


def building(data):
    return [k for k, row in data.customers.items() if row[6] == "BUILDING"]


def q3_orders(data):
    """Orders for Q3: segment BUILDING, o_orderdate < 1995-03-15, l_shipdate > 1995-03-15."""
    rng = data.random
    b = building(data)
    others = [k for k, row in data.customers.items() if row[6] != "BUILDING"]

    # Qualifying orders with one to four line items, some shipped on or before the cutoff (those
    # lines drop out of the sum while the order stays in).
    for i in range(14):
        lines = []
        for _ in range(rng.randrange(1, 5)):
            price = Decimal(rng.randrange(100000, 9000000)) / 100
            discount = Decimal(rng.randrange(0, 11)) / 100
            ship = rng.choice(["1995-03-10", "1995-03-15", "1995-03-16", "1995-03-29",
                               "1995-04-20", "1995-06-30"])
            lines.append((price, discount, ship, None))
        if all(line[2] in ("1995-03-10", "1995-03-15") for line in lines):
            lines.append((Decimal("1234.56"), Decimal("0.02"), "1995-03-16", None))
        day = datetime.date(1995, 1, 2) + datetime.timedelta(days=rng.randrange(0, 71))
        data.add_order(rng.choice(b), day.isoformat(), lines, shippriority=i % 3 == 0 and 1 or 0)

    # The day before the bound: in, but its 1995-03-15 line (shipdate not > cutoff) is out; if
    # it were counted, the order would rank first.
    data.add_order(b[0], "1995-03-14", [("99000.00", "0.00", "1995-03-15", "R"),
                                        ("61000.00", "0.04", "1995-03-16", "N")])
    # On the bound: o_orderdate < 1995-03-15 fails; would rank first if counted.
    data.add_order(b[1], "1995-03-15", [("150000.00", "0.00", "1995-03-20", "N")])
    # After the bound.
    data.add_order(b[2], "1995-03-16", [("140000.00", "0.00", "1995-03-20", "N")])
    # Another segment with qualifying dates: out.
    data.add_order(others[0], "1995-03-01", [("145000.00", "0.00", "1995-03-20", "A")])
    # Every line shipped on or before the cutoff: no group at all.
    data.add_order(b[3], "1995-02-01", [("130000.00", "0.00", "1995-03-15", "R"),
                                        ("120000.00", "0.00", "1995-03-10", "A")])
    # Equal revenue (96200.00), different dates: the earlier date ranks first although its
    # orderkey is larger. Both are in the top 10.
    later = data.add_order(b[4], "1995-03-02", [("60000.00", "0.05", "1995-03-20", "N"),
                                                ("40000.00", "0.02", "1995-04-02", "N")])
    earlier = data.add_order(b[5], "1995-01-20", [("50000.00", "0.01", "1995-03-18", "N"),
                                                  ("46700.00", "0.00", "1995-03-19", "N")])
    assert earlier > later
    # Half-cent revenue: 85001.10 * 0.95 = 80751.045 -> 80751.05 half away from zero, while
    # banker's rounding and binary doubles (80751.04499...) give 80751.04.
    data.add_order(b[6], "1995-03-03", [("85001.10", "0.05", "1995-05-05", "N")])
    # Two lines of x.xx5 each: 38009.595 + 43248.845 = 81258.44 exactly, while rounding each
    # line first would give 81258.45 (rounding must happen after the sum).
    data.add_order(b[7 % len(b)], "1995-02-14", [("40010.10", "0.05", "1995-03-17", "N"),
                                                 ("45525.10", "0.05", "1995-03-31", "N")])


def q10_orders(data):
    """Orders for Q10: o_orderdate in [1993-10-01, 1994-01-01), l_returnflag = 'R'."""
    rng = data.random
    keys = sorted(data.customers)
    # 24 customers with one or two orders in the quarter, lines of mixed return flags.
    for custkey in keys[:40:2] + keys[41:45]:
        for _ in range(rng.randrange(1, 3)):
            day = datetime.date(1993, 10, 1) + datetime.timedelta(days=rng.randrange(0, 92))
            lines = []
            for _ in range(rng.randrange(1, 5)):
                price = Decimal(rng.randrange(100000, 9000000)) / 100
                discount = Decimal(rng.randrange(0, 11)) / 100
                lines.append((price, discount, None, rng.choice("RRAN")))
            data.add_order(custkey, day.isoformat(), lines)
    # First day in, the day before out (a big 'R' order that would rank first).
    data.add_order(keys[1], "1993-10-01", [("91000.00", "0.03", None, "R")])
    data.add_order(keys[1], "1993-09-30", [("300000.00", "0.00", None, "R")])
    # Last day in, the next day (the bound 1994-01-01) out.
    data.add_order(keys[3], "1993-12-31", [("88000.00", "0.06", None, "R"),
                                           ("10000.00", "0.00", None, "A")])
    data.add_order(keys[3], "1994-01-01", [("310000.00", "0.00", None, "R")])
    # Only the 'R' line counts; the others (A, N) would make this the top row.
    data.add_order(keys[5], "1993-11-11", [("250000.00", "0.00", None, "A"),
                                           ("240000.00", "0.00", None, "N"),
                                           ("79000.00", "0.07", None, "R")])
    # In the quarter without any 'R' line: no row for this customer.
    data.add_order(keys[46], "1993-11-20", [("290000.00", "0.00", None, "A"),
                                            ("280000.00", "0.00", None, "N")])
    # Half-cent line for customer 7 (text fields with commas and a leading space):
    # 76543.30 * 0.95 = 72716.135 exactly (a double computes 72716.13499...), added to the
    # customer's other 'R' lines of the quarter.
    data.add_order(7, "1993-12-01", [("76543.30", "0.05", None, "R")])
    data.add_order(12, "1993-10-15", [("70123.45", "0.10", None, "R"),
                                      ("5000.00", "0.00", None, "N")])


def filler_orders(data):
    """Orders over 1992-1998 for every customer, as the rest of a real orders table."""
    rng = data.random
    for custkey in sorted(data.customers):
        for _ in range(rng.randrange(0, 3)):
            day = datetime.date(1992, 1, 1) + datetime.timedelta(days=rng.randrange(0, 2400))
            lines = [(Decimal(rng.randrange(90000, 10500000)) / 100,
                      Decimal(rng.randrange(0, 11)) / 100, None, None)
                     for _ in range(rng.randrange(1, 8))]
            data.add_order(custkey, day.isoformat(), lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "engine", "tests", "data", "tpch-tiny")
    data = Dataset()
    customers(data)
    filler_orders(data)
    q3_orders(data)
    q10_orders(data)
    data.write(out_dir)
    print(f"make_tiny_dataset: {len(data.customers)} customers, {len(data.orders)} orders, "
          f"{len(data.lineitems)} line items in {os.path.normpath(out_dir)}")


if __name__ == "__main__":
    main()
