-- css-sync run reports (README, "Run reports in the bucket") as an Athena table: one row per
-- line of _css-sync/reports/<run-id>[-<seq>].jsonl (failed objects with the default
-- CSS_SYNC_BUCKET_REPORT=errors; every object found with `all`).
-- Replace the bucket and S3_PREFIX in LOCATION (with an empty S3_PREFIX drop that segment).
--
-- The folder also holds the pretty-printed run summaries (<run-id>.json): the SerDe skips
-- their lines as malformed, and the view keeps only the .jsonl files to be sure.
CREATE EXTERNAL TABLE IF NOT EXISTS css_sync_report_lines (
  run_id        string,
  region        string,
  id            string,
  `type`        string,
  object_name   string,
  outcome       string,   -- exported | present | failed
  stage         string,   -- failed only: catalog, key, job, download, zip, verify, sidecar, s3, missing, interrupted
  reason        string,   -- failed only: the last reason
  key           string,   -- the object's key (null when none could be built, or cut off by an interrupt)
  size          bigint,   -- the catalog's storedBytes
  checksum      string,   -- the catalog MD5, lowercase (verified for exported / present)
  etag          string    -- exported only: the ETag S3 answered at commit, unquoted
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')
LOCATION 's3://acme-data-lake/recordings/_css-sync/reports/';

CREATE OR REPLACE VIEW css_sync_report AS
SELECT * FROM css_sync_report_lines WHERE "$path" LIKE '%.jsonl' AND outcome IS NOT NULL;

-- Failed objects of the last week's runs, by stage (run ids start with the UTC start time).
SELECT stage, count(*) AS objects FROM css_sync_report
WHERE outcome = 'failed' AND run_id >= '20261124T' GROUP BY 1 ORDER BY 2 DESC;
-- With CSS_SYNC_BUCKET_REPORT=all: objects that failed in every run that saw them.
SELECT id, region, max(run_id) AS last_run, max_by(reason, run_id) AS last_reason
FROM css_sync_report GROUP BY id, region
HAVING count_if(outcome <> 'failed') = 0;
