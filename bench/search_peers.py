#!/usr/bin/python3
"""The issue-3 search questions asked of PostgreSQL 15 (documents in a JSONB column, GIN and
expression indexes) and of SQLite (JSON text, expression indexes), each in its best SQL.

Run by bench/run-search.sh with Debian's python3 (python3-psycopg2). Loads the same NDJSON the
buildhub side ingests, then prints, per engine, a Markdown table of p50/p90 client-side latency.

  search_peers.py NDJSON PG_PORT SQLITE_PATH REPETITIONS BUILD_ID [OURS_INPROCESS.md OURS_HTTP.md]

With buildhub's own tables (as bench_search and search_latency.py print them) it ends with the
ratios: PostgreSQL p50 / buildhub p50, in-process and over HTTP.
"""
import sqlite3
import statistics
import sys
import time

import psycopg2

ndjson, pg_port, sqlite_path, reps, build_id = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]

WEB_FIELDS = ["source.product", "target.channel", "target.version", "target.locale", "target.platform", "build.id"]


def pg_field(f):
    obj, key = f.split(".")
    return f"(document->'{obj}'->>'{key}')"


def lite_field(f):
    return f"json_extract(document, '$.{f}')"


def web_match(field, percent):
    # query_string "firefox* 68* linux*", default_operator AND, over the UI's six fields.
    # `percent` is '%' escaped for the driver's parameter style.
    terms = ["firefox", "68", "linux"]
    return " AND ".join("(" + " OR ".join(f"{field(f)} LIKE '{t}{percent}'" for f in WEB_FIELDS) + ")" for t in terms)


PG = {
    "term_size0": f"SELECT count(*) FROM builds WHERE {pg_field('build.id')} = %(bid)s",
    "term_size1_source": f"SELECT id, document->'target'->'version', document->'source'->'revision', count(*) OVER () "
                         f"FROM builds WHERE {pg_field('build.id')} = %(bid)s ORDER BY id LIMIT 1",
    "terms_agg_platform": f"SELECT {pg_field('target.platform')}, count(*) FROM builds GROUP BY 1 ORDER BY 2 DESC LIMIT 100",
    "web_page": f"""WITH m AS MATERIALIZED (SELECT id, document FROM builds WHERE {web_match(pg_field, '%%')})
        SELECT (SELECT json_agg(h) FROM (SELECT id, document FROM m ORDER BY bh_ts(document->'download'->>'date') DESC LIMIT 30) h),
               (SELECT count(*) FROM m),
               (SELECT json_agg(b) FROM (SELECT document->'target'->>'version' k, count(*) FROM m GROUP BY 1 ORDER BY 1) b),
               (SELECT json_agg(b) FROM (SELECT document->'target'->>'platform' k, count(*) FROM m GROUP BY 1 ORDER BY 1) b),
               (SELECT json_agg(b) FROM (SELECT document->'target'->>'channel' k, count(*) FROM m GROUP BY 1 ORDER BY 1) b),
               (SELECT json_agg(b) FROM (SELECT document->'target'->>'locale' k, count(*) FROM m GROUP BY 1 ORDER BY 1) b)""",
    "latest_nightly_per_platform": f"""SELECT p, n, bid FROM (
          SELECT {pg_field('target.platform')} p, count(*) OVER (PARTITION BY {pg_field('target.platform')}) n,
                 row_number() OVER (PARTITION BY {pg_field('target.platform')} ORDER BY bh_ts(document->'build'->>'date') DESC) rn,
                 {pg_field('build.id')} bid
          FROM builds WHERE {pg_field('target.channel')} = 'nightly') x WHERE rn = 1""",
    "date_histogram_month": "SELECT date_trunc('month', bh_ts(document->'build'->>'date'), 'UTC'), count(*) FROM builds GROUP BY 1 ORDER BY 1",
}

LITE = {
    "term_size0": f"SELECT count(*) FROM builds WHERE {lite_field('build.id')} = :bid",
    "term_size1_source": f"SELECT id, {lite_field('target.version')}, {lite_field('source.revision')}, count(*) OVER () "
                         f"FROM builds WHERE {lite_field('build.id')} = :bid ORDER BY id LIMIT 1",
    "terms_agg_platform": f"SELECT {lite_field('target.platform')}, count(*) FROM builds GROUP BY 1 ORDER BY 2 DESC LIMIT 100",
    "web_page": f"""WITH m AS MATERIALIZED (SELECT id, document FROM builds WHERE {web_match(lite_field, '%')})
        SELECT (SELECT json_group_array(document) FROM (SELECT document FROM m ORDER BY julianday({lite_field('download.date')}) DESC LIMIT 30)),
               (SELECT count(*) FROM m),
               (SELECT json_group_array(k || ':' || n) FROM (SELECT {lite_field('target.version')} k, count(*) n FROM m GROUP BY 1 ORDER BY 1)),
               (SELECT json_group_array(k || ':' || n) FROM (SELECT {lite_field('target.platform')} k, count(*) n FROM m GROUP BY 1 ORDER BY 1)),
               (SELECT json_group_array(k || ':' || n) FROM (SELECT {lite_field('target.channel')} k, count(*) n FROM m GROUP BY 1 ORDER BY 1)),
               (SELECT json_group_array(k || ':' || n) FROM (SELECT {lite_field('target.locale')} k, count(*) n FROM m GROUP BY 1 ORDER BY 1))""",
    "latest_nightly_per_platform": f"""SELECT p, n, bid FROM (
          SELECT {lite_field('target.platform')} p, count(*) OVER (PARTITION BY {lite_field('target.platform')}) n,
                 row_number() OVER (PARTITION BY {lite_field('target.platform')} ORDER BY {lite_field('build.date')} DESC) rn,
                 {lite_field('build.id')} bid
          FROM builds WHERE {lite_field('target.channel')} = 'nightly') WHERE rn = 1""",
    "date_histogram_month": f"SELECT strftime('%Y-%m', {lite_field('build.date')}), count(*) FROM builds GROUP BY 1 ORDER BY 1",
}


def measure(run):
    times, rows = [], None
    for i in range(reps + 3):
        t = time.perf_counter()
        rows = run()
        if i >= 3:
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)], rows


def table(title, results, setup):
    print(f"\n### {title}\n\n{setup}\n\n| query | p50 (ms) | p90 (ms) | answer (first row) |\n|---|---|---|---|")
    for name, (p50, p90, rows) in results.items():
        first = str(rows[0])[:60].replace("|", "/") if rows else "-"
        print(f"| {name} | {p50:.2f} | {p90:.2f} | {first} |")


# ---- PostgreSQL ----
pg = psycopg2.connect(host="127.0.0.1", port=pg_port, user="postgres", dbname="postgres")
pg.autocommit = True
cur = pg.cursor()
t0 = time.perf_counter()
cur.execute("DROP TABLE IF EXISTS builds")
cur.execute("CREATE TABLE builds (id bigserial PRIMARY KEY, document jsonb NOT NULL)")
with open(ndjson) as f:
    cur.copy_expert("COPY builds(document) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')", f)
load_s = time.perf_counter() - t0
t0 = time.perf_counter()
cur.execute("CREATE OR REPLACE FUNCTION bh_ts(text) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $1::timestamptz $$")
cur.execute("CREATE INDEX ON builds USING gin (document jsonb_path_ops)")
for f in WEB_FIELDS:
    cur.execute(f"CREATE INDEX ON builds ({pg_field(f)} text_pattern_ops)")
cur.execute("CREATE INDEX ON builds (bh_ts(document->'build'->>'date'))")
cur.execute("CREATE INDEX ON builds (bh_ts(document->'download'->>'date'))")
cur.execute("VACUUM ANALYZE builds")
index_s = time.perf_counter() - t0
results = {}
for name, sql in PG.items():
    def run(sql=sql):
        cur.execute(sql, {"bid": build_id})
        return cur.fetchall()
    results[name] = measure(run)
table("PostgreSQL 15 (JSONB, GIN jsonb_path_ops + 8 expression indexes, psycopg2 over 127.0.0.1)", results,
      f"load (COPY) {load_s:.1f} s, indexes + VACUUM ANALYZE {index_s:.1f} s")
pg_results = results

# ---- SQLite ----
lite = sqlite3.connect(sqlite_path)
lite.execute("PRAGMA journal_mode=WAL")
lite.execute("PRAGMA case_sensitive_like=ON")  # LIKE 'x%' as the keyword prefix queries, and indexable
lite.execute("DROP TABLE IF EXISTS builds")
lite.execute("CREATE TABLE builds (id INTEGER PRIMARY KEY, document TEXT NOT NULL)")
t0 = time.perf_counter()
with open(ndjson) as f, lite:
    lite.executemany("INSERT INTO builds(document) VALUES (?)", ((line.rstrip("\n"),) for line in f if line.strip()))
load_s = time.perf_counter() - t0
t0 = time.perf_counter()
with lite:
    for f in WEB_FIELDS:
        lite.execute(f"CREATE INDEX IF NOT EXISTS i_{f.replace('.', '_')} ON builds ({lite_field(f)})")
    lite.execute(f"CREATE INDEX IF NOT EXISTS i_bdate ON builds ({lite_field('build.date')})")
    lite.execute(f"CREATE INDEX IF NOT EXISTS i_ddate ON builds (julianday({lite_field('download.date')}))")
lite.execute("ANALYZE")
index_s = time.perf_counter() - t0
results = {}
for name, sql in LITE.items():
    def run(sql=sql):
        return lite.execute(sql, {"bid": build_id}).fetchall()
    results[name] = measure(run)
table(f"SQLite {sqlite3.sqlite_version} (JSON text, 8 expression indexes, in-process from Python)", results,
      f"load {load_s:.1f} s, indexes + ANALYZE {index_s:.1f} s")
lite_results = results



def p50s(path):
    """query name -> p50 from a Markdown table written by bench_search or search_latency.py."""
    out = {}
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] in PG:
            out[cells[0]] = float(cells[1])
    return out


ours_in = p50s(sys.argv[6]) if len(sys.argv) > 6 else {}
ours_http = p50s(sys.argv[7]) if len(sys.argv) > 7 else {}
print("\n### p50 side by side (ms) and ratios\n")
print("| query | buildhub in-process | buildhub HTTP | PostgreSQL | SQLite | PostgreSQL / buildhub in-process | PostgreSQL / buildhub HTTP |")
print("|---|---|---|---|---|---|---|")
for name in PG:
    bi, bh, p, l = ours_in.get(name), ours_http.get(name), pg_results[name][0], lite_results[name][0]
    ratio_in = f"{p / bi:.0f}x" if bi else "-"
    ratio_http = f"{p / bh:.1f}x" if bh else "-"
    print(f"| {name} | {bi if bi is not None else '-'} | {bh if bh is not None else '-'} | {p:.2f} | {l:.2f} | {ratio_in} | {ratio_http} |")
