-- Aggregated traffic file from Bedrock model invocation logs, in Athena
-- (engine v3, Trino SQL), over the table of bedrock_invocation_logs.sql.
--
-- Output: exactly the columns of the aggregated traffic file (issue 13,
-- section 2; docs in sql/athena/README.md): one row per cell (class, model,
-- hour, input_bucket, output_bucket, cache_read_bucket, cache_write_bucket) with
-- its record count, token sums and first/last timestamps. simroute reads the
-- result wherever it reads a log (`--traffic-log`, `log =`, `simroute fit`).
--
-- PLACEHOLDERS:
--   'feature'   (marked CLASS KEY below) the requestMetadata key that holds the
--               traffic class, as simroute's --class-field requestMetadata.feature.
--               Write it in lowercase: the table's SerDe lowercases JSON keys,
--               map keys included ('tenantId' is read as 'tenantid').
--               A class elsewhere in the record needs that column declared in
--               the table and this expression changed.
--   datehour    (commented out, marked HOURS below) the hours to read, as
--               yyyy/MM/dd/HH strings; without it every projected hour is read.
--
-- Which records count (the WHERE clause): schemaType = 'ModelInvocationLog',
-- input.inputTokenCount and output.outputTokenCount both present, and every
-- count (the two cache counts absent = 0) between 0 and 10,000,000 tokens.
-- simroute's own reader (simroute aggregate / --traffic-log on the raw log)
-- agrees on well-formed logs; where it does more or otherwise:
--   * it also takes counts from the response body (output.outputBodyJson's
--     `usage` block or amazon-bedrock-invocationMetrics) when the top-level
--     counts are absent; this query drops such records. The body is not a
--     column of the table: parsing it is what makes a scan of the raw log slow.
--   * it refuses a count above 10,000,000 (or negative, or fractional) as a bad
--     record, and by default stops at the first bad record (with
--     --skip-bad-lines it counts and skips them); this query silently drops
--     such records, as --skip-bad-lines would.
--   * it reads a record that has no schemaType at all; this query requires it
--     (Bedrock always writes it; it also keeps out any other JSON in the folder).
--   * with --class-field, a record without the class field is a bad record
--     (missing field); here it is a row with an empty (NULL) class, which is
--     what the file's contract says an empty class means.
--   * it reads the timestamp forms its parse_ms accepts (`Z`, `+00:00` or no
--     offset; other offsets are no timestamp); from_iso8601_timestamp also
--     accepts other offsets (converted to UTC). Bedrock writes `...Z`.
--   * it refuses a record whose latency field is bad; this query ignores latency.
--
-- Buckets: the contract's expression, verbatim, for each of the four counts.
-- Timestamps: min/max of the parsed instants, written by to_iso8601 at UTC:
-- `2026-01-01T00:00:03.703Z` (always with milliseconds), which simroute parses.
-- A record whose timestamp is missing or does not parse has a NULL hour and is
-- in a cell whose first/last timestamps are NULL, as the contract says.
--
-- RUN IT (see README.md):
--   a) As a plain query (console or `aws athena start-query-execution`): Athena
--      writes the result as ONE CSV file, header row, every value quoted, NULL
--      as an empty field, to the workgroup's query result location:
--        s3://<RESULTS_BUCKET>/<RESULTS_PREFIX>/<QueryExecutionId>.csv
--      Download it (console "Download results", or)
--        aws s3 cp s3://<RESULTS_BUCKET>/<RESULTS_PREFIX>/<QueryExecutionId>.csv traffic.csv
--   b) As Parquet, with UNLOAD around the whole query (the target folder must be
--      empty; Athena may write more than one file there):
--        UNLOAD ( <this query, without the final semicolon> )
--        TO 's3://<OUT_BUCKET>/<OUT_PREFIX>/traffic/'
--        WITH (format = 'PARQUET', compression = 'SNAPPY')
--      then
--        aws s3 cp --recursive s3://<OUT_BUCKET>/<OUT_PREFIX>/traffic/ traffic/
--      One file is ready as is (rename it traffic.parquet); several files are
--      parts of one result (no cell is in two of them): join them into one
--      file (README.md shows how, with DuckDB).
--   c) As a table (CTAS), Parquet under a location of yours:
--        CREATE TABLE traffic_aggregate
--        WITH (format = 'PARQUET', write_compression = 'SNAPPY',
--              external_location = 's3://<OUT_BUCKET>/<OUT_PREFIX>/traffic_aggregate/')
--        AS <this query, without the ORDER BY and the final semicolon>
--      and download as in b).
--   Do not UNLOAD to TEXTFILE/CSV: Hive text format writes NULL as \N and has
--   no header row, which the contract does not allow; use a) for CSV.

-- Identifiers are unquoted (Trino folds them to the lowercase names Athena
-- gives the table's columns and struct fields), except "timestamp", a keyword.
WITH usable AS (
  SELECT
    element_at(requestMetadata, 'feature' /* CLASS KEY */) AS class,
    modelId AS model,
    try(from_iso8601_timestamp("timestamp") AT TIME ZONE 'UTC') AS ts,
    input.inputTokenCount AS input_n,
    output.outputTokenCount AS output_n,
    coalesce(input.cacheReadInputTokenCount, 0) AS cache_read_n,
    coalesce(input.cacheWriteInputTokenCount, 0) AS cache_write_n
  FROM bedrock_invocation_logs
  WHERE schemaType = 'ModelInvocationLog'
    AND input.inputTokenCount BETWEEN 0 AND 10000000
    AND output.outputTokenCount BETWEEN 0 AND 10000000
    AND coalesce(input.cacheReadInputTokenCount, 0) BETWEEN 0 AND 10000000
    AND coalesce(input.cacheWriteInputTokenCount, 0) BETWEEN 0 AND 10000000
    -- HOURS: AND datehour BETWEEN '2026/01/01/00' AND '2026/01/31/23'
),
bucketed AS (
  SELECT
    class,
    model,
    hour(ts) AS hour,
    ts,
    input_n,
    output_n,
    cache_read_n,
    cache_write_n,
    CASE WHEN input_n < 16 THEN input_n
      ELSE CAST(floor(input_n / power(2, floor(log2(input_n)) - 3)) * power(2, floor(log2(input_n)) - 3) AS bigint) END
      AS input_bucket,
    CASE WHEN output_n < 16 THEN output_n
      ELSE CAST(floor(output_n / power(2, floor(log2(output_n)) - 3)) * power(2, floor(log2(output_n)) - 3) AS bigint) END
      AS output_bucket,
    CASE WHEN cache_read_n < 16 THEN cache_read_n
      ELSE CAST(floor(cache_read_n / power(2, floor(log2(cache_read_n)) - 3)) * power(2, floor(log2(cache_read_n)) - 3) AS bigint) END
      AS cache_read_bucket,
    CASE WHEN cache_write_n < 16 THEN cache_write_n
      ELSE CAST(floor(cache_write_n / power(2, floor(log2(cache_write_n)) - 3)) * power(2, floor(log2(cache_write_n)) - 3) AS bigint) END
      AS cache_write_bucket
  FROM usable
)
SELECT
  class,
  model,
  hour,
  input_bucket,
  output_bucket,
  cache_read_bucket,
  cache_write_bucket,
  count(*) AS records,
  sum(input_n) AS input_tokens,
  sum(output_n) AS output_tokens,
  sum(cache_read_n) AS cache_read_tokens,
  sum(cache_write_n) AS cache_write_tokens,
  to_iso8601(min(ts)) AS first_timestamp,
  to_iso8601(max(ts)) AS last_timestamp
FROM bucketed
GROUP BY class, model, hour, input_bucket, output_bucket, cache_read_bucket, cache_write_bucket
ORDER BY class NULLS FIRST, model NULLS FIRST, hour NULLS FIRST,
  input_bucket, output_bucket, cache_read_bucket, cache_write_bucket;
