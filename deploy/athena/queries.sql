-- Example queries over css_sync_index (index.sql). Always filter on "date" so partition
-- projection reads only the days asked for.

-- Objects and bytes per type and day.
SELECT "type", "date", count(*) AS objects, sum(stored_bytes) AS bytes
FROM css_sync_index
WHERE "date" BETWEEN '2026-11-01' AND '2026-11-30'
GROUP BY 1, 2
ORDER BY 2, 1;

-- All contact-center calls of one queue, by agent (queueName / agentName are CSS tags).
SELECT tags['agentName'] AS agent,
       count(*)                   AS calls,
       sum(duration) / 1000.0     AS talk_seconds,
       array_agg(s3_key)          AS recordings
FROM css_sync_index
WHERE "type" = 'callcenterrecording'
  AND tags['queueName'] = 'Support'
  AND "date" >= '2026-11-01'
GROUP BY 1
ORDER BY calls DESC;

-- One row per object even if it was exported twice (e.g. deleted from S3 and exported
-- again by a later run): keep the newest run (run ids sort by start time).
SELECT *
FROM (
  SELECT *, row_number() OVER (PARTITION BY id ORDER BY run_id DESC) AS n
  FROM css_sync_index
  WHERE "date" >= '2026-11-01'
)
WHERE n = 1;

-- Compaction (manual, not done by css-sync): the JSON Lines files into Parquet, once...
CREATE TABLE css_sync_index_parquet
WITH (
  format = 'PARQUET',
  external_location = 's3://acme-data-lake/recordings/_index_parquet/',
  partitioned_by = ARRAY['region', 'type', 'date']
) AS
SELECT run_id, id, object_name, created_time, duration, customer_id, user_id, tags,
       stored_bytes, checksum, mime_type, s3_key, etag, region, "type", "date"
FROM css_sync_index
WHERE "date" < '2026-12-01';

-- ...then per closed day (Athena writes at most 100 partitions per CTAS/INSERT).
INSERT INTO css_sync_index_parquet
SELECT run_id, id, object_name, created_time, duration, customer_id, user_id, tags,
       stored_bytes, checksum, mime_type, s3_key, etag, region, "type", "date"
FROM css_sync_index
WHERE "date" = '2026-12-01';
