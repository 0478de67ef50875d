-- css-sync metadata index as an Athena table, with partition projection: no crawler, no
-- MSCK REPAIR, new days are queryable as soon as css-sync writes them.
-- Replace: the bucket and S3_PREFIX in LOCATION and storage.location.template (twice; with an
-- empty S3_PREFIX drop that segment), the regions and types your account has, and the start
-- of the date range. Rows are JSON Lines, one per exported object (README, "Querying the lake").
--
-- `region`, `type` and `date` are partition columns (from the key); the rows repeat `region`
-- and `type`, which the SerDe ignores here. `date` is the UTC date of createdTime.
CREATE EXTERNAL TABLE IF NOT EXISTS css_sync_index (
  run_id        string,
  id            string,
  object_name   string,
  created_time  string,   -- ISO 8601 without offset, UTC: from_iso8601_timestamp(created_time)
  duration      bigint,   -- vendor unit per type: ms for recordings, s for transcripts
  customer_id   string,
  user_id       string,
  tags          map<string,string>,
  stored_bytes  bigint,
  checksum      string,   -- verified catalog MD5 (hex)
  mime_type     string,
  s3_key        string,   -- the object's key in this bucket
  etag          string    -- ETag at commit, unquoted
)
PARTITIONED BY (region string, `type` string, `date` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')
LOCATION 's3://acme-data-lake/recordings/_index/'
TBLPROPERTIES (
  'projection.enabled'            = 'true',
  -- enum: list every region and type. Alternative: 'injected' (no list, but every query
  -- must then filter the column with = or IN).
  'projection.region.type'        = 'enum',
  'projection.region.values'      = 'us-east,us-west,uk,eu,au,ca',
  'projection.type.type'          = 'enum',
  'projection.type.values'        = 'callrecording,callcenterrecording,screenrecording,voicemail,transcription,callcentervoicemail',
  'projection.date.type'          = 'date',
  'projection.date.format'        = 'yyyy-MM-dd',
  'projection.date.range'         = '2024-01-01,NOW',
  'projection.date.interval'      = '1',
  'projection.date.interval.unit' = 'DAYS',
  'storage.location.template'     = 's3://acme-data-lake/recordings/_index/region=${region}/type=${type}/date=${date}/'
);
