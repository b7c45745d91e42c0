#!/usr/bin/env python3
"""gen_tera_records.py --records N --output DIR [--parts P] [--seed S]: TeraGen-shaped input
for running the DuckDB half of scripts/batch-benchmarks.sh without Weir (--duckdb-only).

Writes DIR/part-00000 ... : raw 100-byte records with no separators, a 10-byte random key (any
byte value) and a 90-byte payload holding the record number in decimal, padded; the records are
split evenly over P part files. With Weir available the benchmark uses `weir run -c TeraGen`
instead; this only stands in for it, in the same layout.
"""

import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    os.makedirs(args.output, exist_ok=True)
    per_part = -(-args.records // args.parts)
    number = 0
    for part in range(args.parts):
        count = min(per_part, args.records - number)
        with open(os.path.join(args.output, f"part-{part:05d}"), "wb") as out:
            chunk = []
            for _ in range(count):
                payload = f"{number:020d}".encode() + b"ABCDEFGHIJ" * 7
                chunk.append(rng.randbytes(10) + payload)
                number += 1
                if len(chunk) == 65536:
                    out.write(b"".join(chunk))
                    chunk = []
            out.write(b"".join(chunk))
    print(f"gen_tera_records: {number} records in {args.output}")


if __name__ == "__main__":
    main()
