-- Athena table over Amazon Bedrock's model invocation logs in S3.
--
-- Bedrock's model invocation logging (S3 destination) writes gzip JSON Lines,
-- one record per line, to
--   s3://BUCKET/PREFIX/AWSLogs/ACCOUNT/BedrockModelInvocationLogs/REGION/YYYY/MM/DD/HH/*.json.gz
-- (without PREFIX/ when logging was configured with no key prefix).
--
-- PLACEHOLDERS (replace all of them, here and in LOCATION / TBLPROPERTIES):
--   <BUCKET>      the logging bucket
--   <PREFIX>      the key prefix given to Bedrock's logging configuration
--                 (delete "<PREFIX>/" if there is none)
--   <ACCOUNT>     the 12-digit AWS account id
--   <REGION>      the Region whose logs this table reads (e.g. us-east-1);
--                 one table per Region, or see "Several Regions" below
--   <FIRST_HOUR>  the first hour to project, yyyy/MM/dd/HH (e.g. 2026/01/01/00)
--
-- Columns: only what sql/athena/aggregate.sql needs plus a few useful ones.
-- The request and response bodies (input.inputBodyJson, output.outputBodyJson)
-- are deliberately not declared: they are most of a record's bytes, and the
-- SerDe skips keys that have no column. Column names are written as Bedrock
-- spells the keys; Athena lowercases them, and the OpenX SerDe matches JSON keys
-- case-insensitively ('case.insensitive' = 'true', its default, said here so
-- that nobody turns it off), so inputTokenCount finds "inputTokenCount". The
-- SerDe lowercases every key before matching, map keys included: the keys of
-- requestMetadata read in lowercase (aggregate.sql's class key must be written
-- in lowercase).
--
-- Athena's documentation warns that with the OpenX SerDe "the number of
-- results and their values can be non-deterministic" in some cases, and names
-- the Hive JSON SerDe as the workaround: if a rerun gives other counts, swap
-- the ROW FORMAT for 'org.apache.hive.hcatalog.data.JsonSerDe' (and drop the
-- SERDEPROPERTIES; that SerDe fails on a malformed line instead of skipping it).
--
-- `timestamp` is kept as a string: aggregate.sql parses it with
-- from_iso8601_timestamp, so a timestamp that does not parse is a NULL hour
-- rather than a failed query.
--
-- Partition projection: `datehour` (a string, yyyy/MM/dd/HH) is the date path
-- of the S3 key; Athena computes the partitions from the table properties, so
-- there is no MSCK REPAIR / ALTER TABLE ADD PARTITION to run as new hours
-- arrive. Filter on it to read fewer files, e.g.
--   WHERE datehour BETWEEN '2026/01/01/00' AND '2026/01/31/23'
-- Several Regions: add a partition column `region_path string` with
--   'projection.region_path.type' = 'enum',
--   'projection.region_path.values' = 'us-east-1,us-west-2',
-- and put ${region_path} in place of <REGION> in storage.location.template.
--
-- 'ignore.malformed.json': a line that is not JSON becomes a row of NULLs
-- (dropped by aggregate.sql's schemaType filter) instead of failing the query.
--
-- The test tests/athena/run_duckdb.py reads the column list below (parsed with
-- sqlglot) to build the DuckDB view it runs aggregate.sql against: keep the
-- column list in this one statement.

CREATE EXTERNAL TABLE IF NOT EXISTS bedrock_invocation_logs (
  `schemaType`      string,
  `schemaVersion`   string,
  `timestamp`       string,
  `accountId`       string,
  `region`          string,
  `requestId`       string,
  `operation`       string,
  `modelId`         string,
  `errorCode`       string,
  `input`           struct<
                      `inputContentType`: string,
                      `inputTokenCount`: bigint,
                      `cacheReadInputTokenCount`: bigint,
                      `cacheWriteInputTokenCount`: bigint
                    >,
  `output`          struct<
                      `outputContentType`: string,
                      `outputTokenCount`: bigint
                    >,
  `requestMetadata` map<string, string>
)
PARTITIONED BY (`datehour` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'case.insensitive' = 'true',
  'ignore.malformed.json' = 'true'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://<BUCKET>/<PREFIX>/AWSLogs/<ACCOUNT>/BedrockModelInvocationLogs/<REGION>/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.datehour.type' = 'date',
  'projection.datehour.format' = 'yyyy/MM/dd/HH',
  'projection.datehour.range' = '<FIRST_HOUR>,NOW',
  'projection.datehour.interval' = '1',
  'projection.datehour.interval.unit' = 'HOURS',
  'storage.location.template' = 's3://<BUCKET>/<PREFIX>/AWSLogs/<ACCOUNT>/BedrockModelInvocationLogs/<REGION>/${datehour}/'
);
