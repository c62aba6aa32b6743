"""Run s1557's counts query (`s1557 sql`) on a real SQL engine, for tests/engines.rs.

usage: run_query.py ENGINE JOBS.json
  ENGINE  duckdb | spark (pyspark in local mode)
  JOBS    a JSON list of {"data": CSV file, "sql": query file, "out": CSV to write}

Each job's data is read with every column as text (as a site's raw extract would be staged),
registered as the table `s1557_input`, and the query's result is written as CSV with a header,
missing values empty and numbers in Python's round-trip form. Prints each job's query time.
"""
import csv
import json
import sys
import time


def write(path, columns, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in r])


def duckdb_jobs(jobs):
    import duckdb

    for j in jobs:
        con = duckdb.connect()
        path = j["data"].replace("'", "''")
        con.execute(
            f"CREATE VIEW s1557_input AS SELECT * FROM read_csv('{path}', header = true, all_varchar = true)"
        )
        t = time.perf_counter()
        cur = con.execute(open(j["sql"]).read())
        rows = cur.fetchall()
        cols = [d[0] for d in cur.description]
        print(f"duckdb {j['data']}: {time.perf_counter() - t:.3f} s", file=sys.stderr)
        write(j["out"], cols, rows)


def spark_jobs(jobs):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("s1557-counts")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for j in jobs:
            df = spark.read.option("header", "true").option("inferSchema", "false").csv(j["data"])
            df.createOrReplaceTempView("s1557_input")
            t = time.perf_counter()
            res = spark.sql(open(j["sql"]).read())
            rows = [tuple(r) for r in res.collect()]
            print(f"spark {j['data']}: {time.perf_counter() - t:.3f} s", file=sys.stderr)
            write(j["out"], res.columns, rows)
    finally:
        spark.stop()


if __name__ == "__main__":
    engine, jobs = sys.argv[1], json.load(open(sys.argv[2]))
    {"duckdb": duckdb_jobs, "spark": spark_jobs}[engine](jobs)
