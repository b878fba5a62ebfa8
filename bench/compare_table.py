#!/usr/bin/env python3
"""The markdown table of bench/compare.sh, from its results.tsv (one row per wrk run).

One row per configuration and contender: medians over the rounds with (min-max), and ratios to
HAProxy and to direct computed within each round, then summarised the same way. The last column
is the most that other processes used during that contender's runs: of CPU 0 (the proxy's core)
with one worker each, pinned; of all CPUs, in % of one, with several workers, unpinned.
"""
import csv
import statistics
import sys
from collections import defaultdict

ORDER = ["direct", "direct-busy", "haproxy", "nginx", "fulcrum", "relay"]


def spread(values, fmt):
    """Median (min-max) of values, each formatted with fmt."""
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def kilo(v):
    return f"{v / 1000:.1f}k"


def ms(us):
    return f"{us / 1000:.2f}"


def micros(v):
    return f"{v:.1f}"


def ratio(v):
    return f"{v:.2f}"


def main(path):
    runs = defaultdict(dict)  # (backend, body, conns) -> {(round, contender): row}
    workers = set()
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (row["backend"], row["body"], int(row["conns"]))
            runs[key][(row["round"], row["contender"])] = row
            workers.add(int(row["workers"]))
    if len(workers) > 1:
        sys.exit(f"{path}: runs with {sorted(workers)} workers: one table holds one of them")
    others = "CPU 0 others %" if workers == {1} else "others % (all CPUs)"

    print("| backend | body | conns | contender | req/s | p50 ms | p99 ms | CPU µs/req "
          "| req/s ÷ HAProxy | CPU/req ÷ HAProxy | p99 ÷ HAProxy | req/s ÷ direct "
          f"| errors | {others} |")
    print("|" + "---|" * 14)
    for key in sorted(runs, key=lambda k: (k[0], ["small", "4k", "64k"].index(k[1]), k[2])):
        table = runs[key]
        rounds = sorted({r for r, _ in table})
        present = {c for _, c in table}
        for contender in [c for c in ORDER if c in present]:
            mine = [table[(r, contender)] for r in rounds if (r, contender) in table]

            def per_round(field, other):
                return [float(table[(r, contender)][field]) / float(table[(r, other)][field])
                        for r in rounds
                        if (r, contender) in table and (r, other) in table
                        and float(table[(r, other)][field]) > 0]

            col = lambda field: [float(row[field]) for row in mine]
            direct = contender.startswith("direct")
            cells = [
                key[0], key[1], str(key[2]), contender,
                spread(col("rps"), kilo),
                spread(col("p50_us"), ms),
                spread(col("p99_us"), ms),
                spread(col("cpu_us_per_req"), micros) + (" (backend)" if direct else ""),
                spread(per_round("rps", "haproxy"), ratio) if contender != "haproxy" else "1",
                spread(per_round("cpu_us_per_req", "haproxy"), ratio)
                if contender != "haproxy" and not direct else ("1" if contender == "haproxy" else "-"),
                spread(per_round("p99_us", "haproxy"), ratio) if contender != "haproxy" else "1",
                spread(per_round("rps", "direct"), ratio) if contender != "direct" else "1",
                str(int(sum(col("errors")))),
                f"{max(col('others_pct')):.0f}",
            ]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
