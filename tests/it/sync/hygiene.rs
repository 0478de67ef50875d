//! Crash hygiene against moto's real `ListMultipartUploads` (issue 11, item 4): incomplete
//! uploads under the prefix older than the threshold are aborted; younger ones and those
//! outside the prefix stay. moto answers a fixed `Initiated` date (2010) for every upload, so
//! "younger" is told by the parts' `LastModified`: every upload here gets one part. (The binary
//! refuses thresholds under 1 h, so the library call is driven directly with a short one.)

use std::time::Duration;

use css_sync::s3::{KeyTemplate, S3Settings, S3Target, DEFAULT_KEY_TEMPLATE};

use crate::support::s3::{S3Kind, S3Server};

async fn open(s3: &S3Server, key: &str) -> String {
    let out = s3
        .client()
        .create_multipart_upload()
        .bucket("lake")
        .key(key)
        .send()
        .await
        .unwrap();
    let id = out.upload_id().unwrap().to_string();
    s3.client()
        .upload_part()
        .bucket("lake")
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .body(b"part".to_vec().into())
        .send()
        .await
        .unwrap();
    id
}

async fn open_keys(s3: &S3Server) -> Vec<String> {
    let out = s3
        .client()
        .list_multipart_uploads()
        .bucket("lake")
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = out
        .uploads()
        .iter()
        .map(|u| u.key().unwrap().to_string())
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_only_old_uploads_under_the_prefix_are_aborted() {
    let s3 = S3Server::start(S3Kind::Moto);
    s3.create_bucket("lake").await;
    open(&s3, "p/old-1").await;
    open(&s3, "p/old-2").await;
    open(&s3, "q/old-elsewhere").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    open(&s3, "p/young").await;
    let settings = S3Settings {
        bucket: "lake".into(),
        force_path_style: true,
        keys: KeyTemplate::parse(DEFAULT_KEY_TEMPLATE)
            .unwrap()
            .with_prefix("p")
            .unwrap(),
        ..S3Settings::default()
    };
    let target = S3Target::from_client(s3.client(), settings);
    let aborted = target
        .abort_stale_uploads(Duration::from_millis(1500))
        .await
        .unwrap();
    assert_eq!(aborted, 2);
    assert_eq!(open_keys(&s3).await, ["p/young", "q/old-elsewhere"]);
    // Nothing old is left: a second pass aborts nothing.
    assert_eq!(
        target
            .abort_stale_uploads(Duration::from_millis(1500))
            .await
            .unwrap(),
        0
    );
}
