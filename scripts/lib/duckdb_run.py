#!/usr/bin/env python3
"""DuckDB baselines for the batch benchmarks (scripts/batch-benchmarks.sh), one query a process.

    py="$(scripts/lib/duckdb-env.sh)"
    $py scripts/lib/duckdb_run.py [--memory-limit 512MB] [--threads 2] [--temp-dir DIR] JOB ...

Timed jobs (each prints ONE line `bench=duckdb_<job> config=... rows=N seconds=S
peak_rss_mib=M status=ok|failed [error=...]`; a query that DuckDB aborts, e.g. for lack of
memory, gives status=failed and exit code 3):

    tpch --query {3|10} --input DIR --output FILE
        The TPC-H specification's SQL of Q3 / Q10 with the validation parameters over
        DIR/{customer,orders,lineitem,nation}.tbl (read_csv with delim '|' and the spec's column
        types, DECIMAL(15,2) money), written with COPY as `|`-delimited lines: the select list in
        order, revenue rounded to 2 decimals (DuckDB rounds DECIMAL half away from zero), dates
        YYYY-MM-DD, no header, no quoting.
    windows --input FILE --output FILE [--window-ms 10000]
        Tumbling event-time windows per key over `key,event_time_ms,value` lines: GROUP BY key
        and floor(time / size), COPY `key,start,end,count,sum` lines (WindowAggregate's output).
    wordcount --input FILE... --output FILE
        lower(line), regexp_split_to_array on '[^a-z0-9_]+', drop empty tokens, GROUP BY word,
        COPY `word,count` lines to FILE (unordered).
    terasort --input FILE.parquet --output FILE.parquet
        COPY (SELECT key, payload ... ORDER BY key) TO an uncompressed Parquet file. The input is
        TeraGen's raw records converted (untimed) by `tera-to-parquet`: BLOB key (10 bytes) and
        BLOB payload (90 bytes), uncompressed, so DuckDB reads and writes the same 100 bytes a
        record as Weir, in its own fastest format, with no text parsing (BLOB order is unsigned
        byte order, TeraSort's).

Untimed helpers:

    tpch-expected --query {3|10} --input DIR    the Q3 / Q10 rows on stdout (make-expected.sh)
    tera-to-parquet --input PATH... --output FILE.parquet
        TeraGen part files (raw 100-byte records, no separators; a directory means its part-*
        files in name order) to Parquet, in chunks, through hex text that DuckDB unhexes.
    tera-check --sorted FILE.parquet --input FILE.parquet
        The sorted file holds the input's records (count and an order-independent checksum) in
        non-decreasing key order. Prints `rows=N checksum=C`.
    raw-checksum PATH...
        For raw 100-byte records (files or directories of part-* files, in name order): the record
        count, the sum of CRC-32s of the records (order-independent, like Hadoop's TeraSum), and
        whether the concatenation is sorted by key. Prints `rows=N crc_sum=C sorted=yes|no`.

Peak RSS is the process's ru_maxrss (resource.getrusage RUSAGE_SELF), Python included.
"""

import argparse
import binascii
import os
import resource
import signal
import sys
import tempfile
import time
import zlib

RECORD_BYTES = 100
KEY_BYTES = 10

TPCH_COLUMNS = {
    "customer": [("c_custkey", "INTEGER"), ("c_name", "VARCHAR"), ("c_address", "VARCHAR"),
                 ("c_nationkey", "INTEGER"), ("c_phone", "VARCHAR"),
                 ("c_acctbal", "DECIMAL(15,2)"), ("c_mktsegment", "VARCHAR"),
                 ("c_comment", "VARCHAR")],
    "orders": [("o_orderkey", "BIGINT"), ("o_custkey", "INTEGER"), ("o_orderstatus", "VARCHAR"),
               ("o_totalprice", "DECIMAL(15,2)"), ("o_orderdate", "DATE"),
               ("o_orderpriority", "VARCHAR"), ("o_clerk", "VARCHAR"),
               ("o_shippriority", "INTEGER"), ("o_comment", "VARCHAR")],
    "lineitem": [("l_orderkey", "BIGINT"), ("l_partkey", "INTEGER"), ("l_suppkey", "INTEGER"),
                 ("l_linenumber", "INTEGER"), ("l_quantity", "DECIMAL(15,2)"),
                 ("l_extendedprice", "DECIMAL(15,2)"), ("l_discount", "DECIMAL(15,2)"),
                 ("l_tax", "DECIMAL(15,2)"), ("l_returnflag", "VARCHAR"),
                 ("l_linestatus", "VARCHAR"), ("l_shipdate", "DATE"), ("l_commitdate", "DATE"),
                 ("l_receiptdate", "DATE"), ("l_shipinstruct", "VARCHAR"),
                 ("l_shipmode", "VARCHAR"), ("l_comment", "VARCHAR")],
    "nation": [("n_nationkey", "INTEGER"), ("n_name", "VARCHAR"), ("n_regionkey", "INTEGER"),
               ("n_comment", "VARCHAR")],
}

# The specification's text (TPC-H 2.x, Q3 and Q10) with the validation substitution parameters.
Q3 = """
select l_orderkey, sum(l_extendedprice * (1 - l_discount)) as revenue, o_orderdate,
       o_shippriority
from customer, orders, lineitem
where c_mktsegment = 'BUILDING' and c_custkey = o_custkey and l_orderkey = o_orderkey
  and o_orderdate < date '1995-03-15' and l_shipdate > date '1995-03-15'
group by l_orderkey, o_orderdate, o_shippriority
order by revenue desc, o_orderdate
limit 10
"""
Q3_FORMATTED = f"""
with q as ({Q3})
select l_orderkey, round(revenue, 2)::VARCHAR, o_orderdate::VARCHAR, o_shippriority
from q order by revenue desc, o_orderdate
"""
Q10 = """
select c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) as revenue, c_acctbal, n_name,
       c_address, c_phone, c_comment
from customer, orders, lineitem, nation
where c_custkey = o_custkey and l_orderkey = o_orderkey
  and o_orderdate >= date '1993-10-01' and o_orderdate < date '1993-10-01' + interval '3' month
  and l_returnflag = 'R' and c_nationkey = n_nationkey
group by c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
order by revenue desc
limit 20
"""
Q10_FORMATTED = f"""
with q as ({Q10})
select c_custkey, c_name, round(revenue, 2)::VARCHAR, c_acctbal::VARCHAR, n_name, c_address,
       c_phone, c_comment
from q order by revenue desc
"""
QUERIES = {"3": Q3_FORMATTED, "10": Q10_FORMATTED}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def sql_string(text):
    return "'" + str(text).replace("'", "''") + "'"


def connect(args):
    import duckdb  # imported here: raw-checksum runs without the package

    con = duckdb.connect()
    if args.memory_limit:
        con.execute(f"SET memory_limit={sql_string(args.memory_limit)}")
    con.execute(f"SET threads={int(args.threads)}")
    # Results keep the order an ORDER BY gives them; only the order of unordered results is left
    # free, which saves DuckDB memory (its own advice when it runs out).
    con.execute("SET preserve_insertion_order=false")
    if args.temp_dir:
        os.makedirs(args.temp_dir, exist_ok=True)
        con.execute(f"SET temp_directory={sql_string(args.temp_dir)}")
    return con


def tpch_views(con, directory):
    for table, columns in TPCH_COLUMNS.items():
        path = os.path.join(directory, f"{table}.tbl")
        if not os.path.isfile(path):
            sys.exit(f"duckdb_run: {path} missing")
        spec = ", ".join(f"{sql_string(name)}: {sql_string(kind)}" for name, kind in columns)
        # Every .tbl line ends with '|'; with the columns given DuckDB ignores the empty last
        # field. No quoting in dbgen's format.
        con.execute(f"""create view {table} as select * from read_csv({sql_string(path)},
            delim='|', header=false, quote='', escape='', auto_detect=false,
            columns={{{spec}}})""")


def part_files(paths):
    files = []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.startswith("part-"))
            if not names:
                sys.exit(f"duckdb_run: no part-* files in {path}")
            files += [os.path.join(path, n) for n in names]
        else:
            files.append(path)
    return files


def report(job, config, started, rows=None, error=None):
    seconds = time.perf_counter() - started
    line = (f"bench=duckdb_{job} config={config} rows={rows if rows is not None else '-'} "
            f"seconds={seconds:.3f} peak_rss_mib={peak_rss_mib():.0f} "
            f"status={'ok' if error is None else 'failed'}")
    if error is not None:
        line += " error=" + " ".join(str(error).split())[:300].replace(" ", "_")
    print(line, flush=True)
    if error is not None:
        sys.exit(3)


def config_of(args, extra):
    return f"{extra},memory_limit={args.memory_limit or 'default'},threads={args.threads}"


def timed(args, job, extra, run):
    """Runs run(con) -> rows; reports time and peak RSS, or the error DuckDB raised."""
    import duckdb

    con = connect(args)
    started = time.perf_counter()
    try:
        rows = run(con)
    except duckdb.Error as error:
        report(job, config_of(args, extra), started, error=f"{type(error).__name__}: {error}")
    report(job, config_of(args, extra), started, rows=rows)


def refuse_existing(path):
    if os.path.exists(path):
        sys.exit(f"duckdb_run: output {path} exists; remove it first")


def cmd_tpch(args):
    refuse_existing(args.output)

    def run(con):
        tpch_views(con, args.input)
        copy = (f"copy ({QUERIES[args.query]}) to {sql_string(args.output)} "
                "(format csv, delimiter '|', header false, quote '')")
        return con.execute(copy).fetchone()[0]

    timed(args, f"tpch_q{args.query}", f"q{args.query}", run)


def cmd_tpch_expected(args):
    import duckdb

    con = duckdb.connect()
    tpch_views(con, args.input)
    for row in con.execute(QUERIES[args.query]).fetchall():
        print("|".join(str(v) for v in row))


def cmd_wordcount(args):
    refuse_existing(args.output)
    files = "[" + ", ".join(sql_string(f) for f in args.input) + "]"

    def run(con):
        # One VARCHAR column per line: a delimiter byte that never occurs in text (\x01).
        query = f"""
            select word, count(*) as count from (
                select unnest(regexp_split_to_array(lower(line), '[^a-z0-9_]+')) as word
                from read_csv({files}, columns={{'line': 'VARCHAR'}}, delim='\x01', quote='',
                              escape='', header=false, auto_detect=false)
            ) where word <> '' group by word"""
        copy = (f"copy ({query}) to {sql_string(args.output)} "
                "(format csv, delimiter ',', header false, quote '')")
        return con.execute(copy).fetchone()[0]

    timed(args, "wordcount", "wordcount", run)


def cmd_windows(args):
    refuse_existing(args.output)

    def run(con):
        # Tumbling event-time windows [start, start + size) per key: the batch equivalent of
        # WindowAggregate on the same file (no event of the benchmark data is late).
        size = args.window_ms
        query = f"""
            select key, w * {size} as window_start, w * {size} + {size} as window_end,
                   count(*) as count, sum(value) as sum
            from (select key, floor(t / {size})::BIGINT as w, value
                  from read_csv({sql_string(args.input)},
                                columns={{'key': 'BIGINT', 't': 'BIGINT', 'value': 'BIGINT'}},
                                header=false, auto_detect=false))
            group by key, w"""
        copy = (f"copy ({query}) to {sql_string(args.output)} "
                "(format csv, delimiter ',', header false, quote '')")
        return con.execute(copy).fetchone()[0]

    timed(args, "windows", f"window={args.window_ms}ms", run)


def cmd_terasort(args):
    refuse_existing(args.output)

    def run(con):
        copy = (f"copy (select key, payload from read_parquet({sql_string(args.input)}) "
                f"order by key) to {sql_string(args.output)} "
                "(format parquet, compression 'uncompressed')")
        return con.execute(copy).fetchone()[0]

    timed(args, "terasort", "terasort", run)


def cmd_tera_to_parquet(args):
    import duckdb

    chunk_records = 1 << 20
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.output))) as tmp:
        # A database file, so that gigabytes of records stay on disk rather than in memory.
        con = duckdb.connect(os.path.join(tmp, "records.duckdb"))
        con.execute("SET memory_limit='1GB'")
        con.execute(f"SET temp_directory={sql_string(os.path.join(tmp, 'spill'))}")
        con.execute("create table records (key BLOB, payload BLOB)")
        text = os.path.join(tmp, "chunk.txt")
        for path in part_files(args.input):
            size = os.path.getsize(path)
            if size % RECORD_BYTES:
                sys.exit(f"duckdb_run: {path}: {size} bytes is not a multiple of {RECORD_BYTES}")
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(chunk_records * RECORD_BYTES)
                    if not chunk:
                        break
                    hexed = binascii.hexlify(chunk)
                    width = 2 * RECORD_BYTES
                    with open(text, "wb") as out:
                        out.write(b"\n".join(hexed[i:i + width]
                                             for i in range(0, len(hexed), width)))
                        out.write(b"\n")
                    con.execute(f"""insert into records
                        select unhex(line[1:{2 * KEY_BYTES}]), unhex(line[{2 * KEY_BYTES + 1}:])
                        from read_csv({sql_string(text)}, columns={{'line': 'VARCHAR'}},
                                      header=false, quote='', escape='', auto_detect=false)""")
        tmp_output = args.output + ".tmp"
        con.execute(f"copy records to {sql_string(tmp_output)} "
                    "(format parquet, compression 'uncompressed')")
        os.replace(tmp_output, args.output)
        rows = con.execute("select count(*) from records").fetchone()[0]
        con.close()
    print(f"rows={rows}")


def cmd_tera_check(args):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={int(args.threads)}")
    checksum = "sum(hash(key || payload)::HUGEINT)"
    inp = con.execute(f"select count(*), {checksum} from "
                      f"read_parquet({sql_string(args.input)})").fetchone()
    out = con.execute(f"select count(*), {checksum} from "
                      f"read_parquet({sql_string(args.sorted)})").fetchone()
    unsorted = con.execute(f"""select count(*) from (
        select key, lag(key) over (order by file_row_number) as previous
        from read_parquet({sql_string(args.sorted)}, file_row_number=true))
        where previous > key""").fetchone()[0]
    if inp != out:
        sys.exit(f"duckdb_run: tera-check: sorted output has (rows, checksum) {out}, "
                 f"input {inp}")
    if unsorted:
        sys.exit(f"duckdb_run: tera-check: {unsorted} records out of key order")
    print(f"rows={out[0]} checksum={out[1]}")


def cmd_raw_checksum(args):
    rows = 0
    crc_sum = 0
    ordered = True
    previous = b""
    for path in part_files(args.paths):
        size = os.path.getsize(path)
        if size % RECORD_BYTES:
            sys.exit(f"duckdb_run: {path}: {size} bytes is not a multiple of {RECORD_BYTES}")
        with open(path, "rb") as f:
            while True:
                chunk = f.read(RECORD_BYTES << 16)
                if not chunk:
                    break
                view = memoryview(chunk)
                crc32 = zlib.crc32
                for offset in range(0, len(chunk), RECORD_BYTES):
                    crc_sum += crc32(view[offset:offset + RECORD_BYTES])
                    key = chunk[offset:offset + KEY_BYTES]
                    if key < previous:
                        ordered = False
                    previous = key
                rows += len(chunk) // RECORD_BYTES
    print(f"rows={rows} crc_sum={crc_sum} sorted={'yes' if ordered else 'no'}")


def main():
    # A terminated run still removes its temporary files (context managers run on SystemExit).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 512MB or 1.2GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temp-dir", help="DuckDB temp_directory (spill files)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tpch")
    p.add_argument("--query", choices=["3", "10"], required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_tpch)

    p = sub.add_parser("tpch-expected")
    p.add_argument("--query", choices=["3", "10"], required=True)
    p.add_argument("--input", required=True)
    p.set_defaults(func=cmd_tpch_expected)

    p = sub.add_parser("wordcount")
    p.add_argument("--input", nargs="+", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_wordcount)

    p = sub.add_parser("windows")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--window-ms", type=int, default=10000)
    p.set_defaults(func=cmd_windows)

    p = sub.add_parser("terasort")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_terasort)

    p = sub.add_parser("tera-to-parquet")
    p.add_argument("--input", nargs="+", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_tera_to_parquet)

    p = sub.add_parser("tera-check")
    p.add_argument("--sorted", required=True)
    p.add_argument("--input", required=True)
    p.set_defaults(func=cmd_tera_check)

    p = sub.add_parser("raw-checksum")
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=cmd_raw_checksum)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
