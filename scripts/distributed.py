"""The same indicators on distributed engines (called by scripts/crosscheck.sh).

Runs jobs/indicators.sql on bomiljo's GeoParquet export in Apache Spark (pyspark, local[2]) and in
SedonaDB (Apache Sedona's engine), and checks every row against `bomiljo measure --format csv`
for the same year: count, population, rate per 1,000, per km², previous year, change, change in
per cent, ratio to the city and rank must be the same text as bomiljo prints (4 decimals). Then
runs jobs/assign.sql (ST_Contains) in SedonaDB and reports how often the point-in-delbydel of the
exported (snapped) positions agrees with bomiljo's assignment from the delivered positions.
"""
import csv, sys, time

export, year, measured_csv = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sql = open("jobs/indicators.sql").read().replace("${year}", str(year))
COLUMNS = ["code", "name", "bydel", "source", "year", "count", "population", "rate_per_1000", "per_km2", "km2_basis",
           "previous", "change", "change_pct", "ratio_to_city", "rank", "ranked"]


def text(column, value):
    """A value as bomiljo's CSV writes it."""
    if value is None or value != value:
        return ""
    if column == "population":
        return f"{value:.0f}"
    if column in ("rate_per_1000", "per_km2", "change_pct", "ratio_to_city"):
        return f"{value:.4f}"
    return str(int(value)) if isinstance(value, float) and column in ("count", "previous", "change", "rank", "ranked", "year") else str(value)


ours = {(r["code"], r["source"]): {c: r[c] for c in COLUMNS} for r in csv.DictReader(open(measured_csv))}


def compare(engine, rows, seconds):
    theirs = {(r["code"], r["source"]): {c: text(c, r[c]) for c in COLUMNS} for r in rows}
    differ = [(k, c, ours[k][c], theirs.get(k, {}).get(c)) for k in ours for c in COLUMNS if theirs.get(k, {}).get(c) != ours[k][c]]
    extra = set(theirs) - set(ours)
    print(f"{engine}: {len(theirs)} rows (delbydel x source) of {year} in {seconds:.1f} s; "
          f"{len(ours) - len({d[0] for d in differ})} of {len(ours)} equal to `bomiljo measure` in every column")
    if differ or extra:
        sys.exit(f"{engine} differs from bomiljo: {differ[:8]} extra rows: {sorted(extra)[:5]}")


import sedonadb  # noqa: E402

started = time.time()
sd = sedonadb.connect()
sd.read_parquet(f"{export}/delbydeler.parquet").to_view("areas")
sd.read_parquet(f"{export}/incidents/").to_view("incidents")
compare("SedonaDB", sd.sql(sql).to_pandas().to_dict("records"), time.time() - started)
assigned = sd.sql(open("jobs/assign.sql").read()).to_pandas()
known = assigned[assigned["given"].notna()]
agree = (known["given"] == known["contained"]).mean()
arriving = assigned[assigned["given"].isna()]
print(f"SedonaDB ST_Contains: {len(assigned)} incidents; for the {len(known)} bomiljo assigned, the snapped position lies in the same "
      f"delbydel for {agree:.1%} (bomiljo assigns from the position as delivered); of {len(arriving)} without one, "
      f"{arriving['contained'].notna().sum()} fall in a delbydel once snapped")

from pyspark.sql import SparkSession  # noqa: E402

started = time.time()
spark = (SparkSession.builder.master("local[2]").appName("bomiljo-indicators")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
spark.read.parquet(f"{export}/delbydeler.parquet").createOrReplaceTempView("areas")
spark.read.option("basePath", f"{export}/incidents").parquet(f"{export}/incidents").createOrReplaceTempView("incidents")
compare(f"Spark {spark.version}", [r.asDict() for r in spark.sql(sql).collect()], time.time() - started)
spark.stop()
