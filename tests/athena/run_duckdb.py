#!/usr/bin/env python3
"""Runs sql/athena/aggregate.sql (Athena/Trino SQL) with DuckDB on a local log.

    run_duckdb.py LOG OUT.csv [--print-sql]

LOG is a Bedrock model invocation log as S3 delivers it (JSON Lines, gzip or
not). OUT.csv gets the query's result: a header row, then one row per cell,
NULL written as an empty field.

Athena cannot run here, so this tests the query's logic: sqlglot transpiles it
from Athena (Trino) SQL to DuckDB's dialect, and DuckDB runs it over a view
that mirrors the Athena table of sql/athena/bedrock_invocation_logs.sql. The
view's columns are read from that file (sqlglot parses the CREATE EXTERNAL
TABLE; each Hive type is written as DuckDB's), so the two cannot drift apart.

What is not Athena here, each the least needed:
  * the view: DuckDB's read_ndjson with that explicit column list stands for
    the OpenX JSON SerDe (keys absent from the list are skipped, as the SerDe
    does; ignore_errors stands for 'ignore.malformed.json'); the partition
    column `datehour`, which Athena takes from the S3 path, is computed from
    the record's timestamp (aggregate.sql only mentions it in a comment);
    DuckDB keeps the case of map keys where the SerDe lowercases them, which
    makes no difference for the lowercase class key 'feature';
  * the session time zone is set to UTC, as Athena's is;
  * to_iso8601, which DuckDB lacks and sqlglot leaves as it is, is a DuckDB
    macro writing what Trino's to_iso8601 writes for a UTC timestamp(3):
    `2026-01-01T00:00:03.703Z` (the test compares timestamps as instants).
The query text itself is not edited: the transpiled SQL runs as sqlglot
writes it.
"""

import sys

import duckdb
import sqlglot
from sqlglot import exp

REPO = __file__.rsplit("/tests/athena/", 1)[0]
DDL = f"{REPO}/sql/athena/bedrock_invocation_logs.sql"
QUERY = f"{REPO}/sql/athena/aggregate.sql"
TABLE = "bedrock_invocation_logs"

# The contract's columns, in its order (aggregate-spec.md).
COLUMNS = [
    "class",
    "model",
    "hour",
    "input_bucket",
    "output_bucket",
    "cache_read_bucket",
    "cache_write_bucket",
    "records",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "first_timestamp",
    "last_timestamp",
]


def table_columns(ddl_text):
    """The data columns (name, DuckDB type) and the partition columns' names of
    the CREATE EXTERNAL TABLE in ddl_text."""
    stmts = [s for s in sqlglot.parse(ddl_text, read="athena") if s is not None]
    creates = [s for s in stmts if isinstance(s, exp.Create)]
    if len(creates) != 1:
        sys.exit(f"{DDL}: expected one CREATE TABLE statement, found {len(creates)}")
    create = creates[0]
    schema = create.this
    if not isinstance(schema, exp.Schema):
        sys.exit(f"{DDL}: the CREATE TABLE has no column list")
    if schema.this.name != TABLE:
        sys.exit(f"{DDL}: the table is {schema.this.name!r}, not {TABLE!r}")
    columns = []
    for col in schema.expressions:
        if not isinstance(col, exp.ColumnDef):
            sys.exit(f"{DDL}: unexpected item in the column list: {col.sql()}")
        columns.append((col.name, col.args["kind"].sql(dialect="duckdb")))
    partitions = []
    for prop in create.find_all(exp.PartitionedByProperty):
        for col in prop.this.expressions:
            partitions.append(col.name)
    return columns, partitions


def duckdb_query(query_text):
    """aggregate.sql transpiled from Athena (Trino) SQL to DuckDB's."""
    stmts = sqlglot.transpile(query_text, read="athena", write="duckdb", pretty=True)
    stmts = [s for s in stmts if s.strip()]
    if len(stmts) != 1:
        sys.exit(f"{QUERY}: expected one statement, found {len(stmts)}")
    return stmts[0]


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    log, out = args
    with open(DDL) as f:
        columns, partitions = table_columns(f.read())
    if partitions != ["datehour"]:
        sys.exit(f"{DDL}: partition columns {partitions}; this harness mirrors ['datehour']")
    with open(QUERY) as f:
        query = duckdb_query(f.read())
    if "--print-sql" in argv:
        print(query, file=sys.stderr)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE MACRO to_iso8601(t) AS strftime(t, '%Y-%m-%dT%H:%M:%S.%gZ')"
    )
    cols = ", ".join(f"'{name}': '{typ}'" for name, typ in columns)
    log_sql = log.replace("'", "''")
    con.execute(
        f"""CREATE VIEW {TABLE} AS
        SELECT *,
          strftime(TRY_CAST("timestamp" AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y/%m/%d/%H')
            AS datehour
        FROM read_ndjson('{log_sql}', columns = {{{cols}}}, ignore_errors = true)"""
    )
    rel = con.sql(query)
    if rel.columns != COLUMNS:
        sys.exit(f"{QUERY}: the result's columns are {rel.columns}, not the contract's {COLUMNS}")
    out_sql = out.replace("'", "''")
    con.execute(f"COPY ({query}) TO '{out_sql}' (FORMAT csv, HEADER true)")


if __name__ == "__main__":
    main(sys.argv)
