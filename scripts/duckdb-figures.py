"""The figures benchmark's DuckDB side: the same events, people and solutions decisions as the
registry (CSV files written by `cargo bench -p djoliba --bench figures` with
DJOLIBA_BENCH_DUCKDB=1), the equivalent queries in SQL, timed.

IDP stock at a date by admin 2: a person is counted when their latest household or own event
up to that date leaves them in the stock (displaced at least once since arriving, not departed
abroad, dead or decided out by a solutions decision), at the place of their latest move. Flows
for a quarter: individuals per kind of event, and origin -> destination pairs at admin 2.
"""

import sys
import time

import duckdb

folder = sys.argv[1]
con = duckdb.connect()
started = time.perf_counter()
con.execute(f"CREATE TABLE people AS SELECT * FROM read_csv('{folder}/people.csv', header = true)")
con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{folder}/events.csv', header = true, types = {{'date': 'DATE'}})")
con.execute(f"CREATE TABLE solutions AS SELECT * FROM read_csv('{folder}/solutions.csv', header = true, types = {{'date': 'DATE'}})")
loaded = time.perf_counter() - started
counts = con.execute("SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM events)").fetchone()

STOCK = """
WITH personal AS (
    SELECT p.person, e.date, e.seq, e.kind, e.to_place
    FROM people p JOIN events e ON e.household = p.household AND (e.person IS NULL OR e.person = p.person)
    WHERE e.date <= DATE '{date}'
), state AS (
    SELECT person,
        arg_max(to_place, (date, seq)) FILTER (WHERE kind IN ('displacement', 'secondary_displacement', 'return', 'arrival_from_abroad', 'local_integration', 'settlement_elsewhere')) AS place,
        bool_or(kind IN ('displacement', 'secondary_displacement')) AS displaced,
        bool_or(kind IN ('departure_abroad', 'death')) AS gone
    FROM personal GROUP BY person
)
SELECT substr(s.place, 1, 6) AS admin2, count(*) AS individuals
FROM state s JOIN people p ON p.person = s.person
WHERE s.displaced AND NOT s.gone
  AND NOT EXISTS (SELECT 1 FROM solutions d WHERE d.household = p.household AND d.date <= DATE '{date}')
GROUP BY 1
"""

FLOWS = """
SELECT e.kind, substr(e.from_place, 1, 6) AS origin, substr(e.to_place, 1, 6) AS destination, count(*) AS individuals
FROM events e JOIN people p ON p.household = e.household AND (e.person IS NULL OR e.person = p.person)
WHERE e.date > DATE '2023-12-31' AND e.date <= DATE '2024-03-31'
GROUP BY ALL
"""

times = []
for date in ["2019-03-31", "2020-12-31", "2022-06-30", "2023-09-30", "2024-06-30"]:
    started = time.perf_counter()
    rows = con.execute(STOCK.format(date=date)).fetchall()
    times.append((time.perf_counter() - started) * 1000)
total = sum(r[1] for r in rows)
started = time.perf_counter()
pairs = con.execute(FLOWS).fetchall()
flows = (time.perf_counter() - started) * 1000
print(f"[duckdb {duckdb.__version__}] {counts[0]} people, {counts[1]} events loaded from CSV in {loaded:.1f} s")
print(f"[duckdb] stock at admin 2, 5 dates: {', '.join(f'{t:.0f}' for t in times)} ms; {total} IDPs on 2024-06-30")
print(f"[duckdb] flows for 2024-Q1 at admin 2: {flows:.0f} ms, {len(pairs)} kind x origin x destination rows")
