//! issue 10 (store): the checkpoint document store against real servers, driven through the
//! library (`css_sync::state::DocStore`) as `hygiene.rs` drives the S3 layer. Per server: the
//! write mode the If-Match probe finds (measured: moto 5.1.18, SeaweedFS and s3s-fs all honour
//! If-Match and If-None-Match; the read-after-write fallback is run on s3s-fs with
//! `S3_CONDITIONAL_WRITES=off`, as no server here ignores the headers), create → update with the stored bytes' MD5 equal to the
//! ETag, a write by someone else between our read and our write (refused and merged on
//! honouring servers; on s3s-fs lost, the fallback's documented limit), two stores racing
//! (both items kept), a corrupt document (an error, never "absent", left as it is), delete.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use css_sync::s3::{
    proof, ConditionalWrites, KeyTemplate, S3Settings, S3Target, DEFAULT_KEY_TEMPLATE,
};
use css_sync::state::rules::WriteMode;
use css_sync::state::{checkpoint_key, DocStore, StateError};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::support::s3::{S3Kind, S3Server};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Doc {
    items: Vec<String>,
}

fn store(s3: &S3Server, conditional_writes: ConditionalWrites) -> DocStore {
    let settings = S3Settings {
        conditional_writes,
        bucket: "lake".into(),
        force_path_style: true,
        keys: KeyTemplate::parse(DEFAULT_KEY_TEMPLATE)
            .unwrap()
            .with_prefix("p")
            .unwrap(),
        ..S3Settings::default()
    };
    DocStore::new(S3Target::from_client(s3.client(), settings))
}

fn adding(item: &str) -> impl FnMut(Option<Doc>) -> Doc + Send + 'static {
    let item = item.to_string();
    move |d: Option<Doc>| {
        let mut d = d.unwrap_or_default();
        if !d.items.contains(&item) {
            d.items.push(item.clone());
        }
        d
    }
}

/// The stored bytes and their MD5, read with the plain client.
async fn stored(s3: &S3Server, key: &str) -> Option<(Vec<u8>, String)> {
    let out = s3
        .client()
        .get_object()
        .bucket("lake")
        .key(key)
        .send()
        .await
        .ok()?;
    let bytes = out.body.collect().await.unwrap().into_bytes().to_vec();
    let md5 = hex::encode(Md5::digest(&bytes));
    Some((bytes, md5))
}

async fn put_raw(s3: &S3Server, key: &str, body: Vec<u8>) {
    s3.client()
        .put_object()
        .bucket("lake")
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

async fn state_store_on(kind: S3Kind, setting: ConditionalWrites, want_mode: WriteMode) {
    let s3 = S3Server::start_async(kind).await;
    s3.create_bucket("lake").await;
    let docs = store(&s3, setting);
    assert_eq!(docs.mode().await.unwrap(), want_mode, "{kind:?}");
    let key = checkpoint_key("p/", "us-west", "all").unwrap();
    assert_eq!(key, "p/_css-sync/state/v1/us-west/all.json");
    assert!(docs.load::<Doc>(&key).await.unwrap().is_none());

    // Create, then update: the answer's ETag is the stored bytes' MD5, the bytes are the doc.
    let v1 = docs.update(&key, adding("a")).await.unwrap();
    let v2 = docs.update(&key, adding("b")).await.unwrap();
    assert_eq!(v2.doc.items, ["a", "b"]);
    assert_ne!(proof::normalize(&v1.etag), proof::normalize(&v2.etag));
    let (bytes, md5) = stored(&s3, &key).await.unwrap();
    assert_eq!(proof::normalize(&v2.etag), md5, "{kind:?}");
    assert_eq!(serde_json::from_slice::<Doc>(&bytes).unwrap(), v2.doc);
    let loaded = docs.load::<Doc>(&key).await.unwrap().unwrap();
    assert_eq!((loaded.doc, loaded.etag), (v2.doc.clone(), v2.etag.clone()));

    // Someone writes between our read and our write (inside `f`, on its first call).
    let calls = Arc::new(AtomicU32::new(0));
    let (c, s3_client_key) = (calls.clone(), key.clone());
    let theirs = serde_json::to_vec(&Doc {
        items: vec!["a".into(), "b".into(), "theirs".into()],
    })
    .unwrap();
    let client = s3.client();
    let v3 = docs
        .update(&key, move |d: Option<Doc>| {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                let (client, key, body) = (client.clone(), s3_client_key.clone(), theirs.clone());
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(async move {
                        let put = client.put_object().bucket("lake").key(key);
                        put.body(body.into()).send().await.unwrap();
                    })
                });
            }
            adding("ours")(d)
        })
        .await
        .unwrap();
    let (bytes, _) = stored(&s3, &key).await.unwrap();
    let now: Doc = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(now, v3.doc);
    match want_mode {
        // Refused with 412, reloaded, merged again: both kept.
        WriteMode::Conditional => {
            assert_eq!(calls.load(Ordering::SeqCst), 2, "{kind:?}");
            assert_eq!(now.items, ["a", "b", "theirs", "ours"], "{kind:?}");
        }
        // The fallback cannot see a write that landed before ours: theirs is lost (README).
        WriteMode::ReadAfterWrite => {
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{kind:?}");
            assert_eq!(now.items, ["a", "b", "ours"], "{kind:?}");
        }
    }

    // Two stores racing, each `f` slow enough that both read before either writes. Not on
    // s3s-fs: it checks If-Match and then writes as two steps (not atomic), so under load two
    // racing writes can both pass its check — the README's "State in the bucket" says so.
    if want_mode == WriteMode::Conditional && !matches!(kind, S3Kind::S3sFs) {
        let race_key = checkpoint_key("p", "us-west", "shard-0-of-2").unwrap();
        let calls = Arc::new(AtomicU32::new(0));
        let (one, two) = (store(&s3, setting), store(&s3, setting));
        // Each store probes once, before the race.
        assert_eq!(one.mode().await.unwrap(), want_mode);
        assert_eq!(two.mode().await.unwrap(), want_mode);
        let run = |docs: DocStore, item: &'static str| {
            let (key, calls) = (race_key.clone(), calls.clone());
            tokio::spawn(async move {
                docs.update(&key, move |d: Option<Doc>| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(300)));
                    adding(item)(d)
                })
                .await
            })
        };
        let (x, y) = tokio::join!(run(one, "x"), run(two, "y"));
        x.unwrap().unwrap();
        y.unwrap().unwrap();
        let (bytes, _) = stored(&s3, &race_key).await.unwrap();
        let mut items = serde_json::from_slice::<Doc>(&bytes).unwrap().items;
        items.sort();
        assert_eq!(items, ["x", "y"], "{kind:?}");
        assert!(
            calls.load(Ordering::SeqCst) >= 3,
            "the race was not run: {kind:?}"
        );
    }

    // A corrupt document is an error, for load and update, and stays as it is.
    let bad = checkpoint_key("p", "eu", "all").unwrap();
    put_raw(&s3, &bad, b"{\"items\": [\"a\"".to_vec()).await;
    let e = docs.load::<Doc>(&bad).await.unwrap_err();
    assert_eq!(e.kind(), "corrupt", "{e}");
    let e = docs.update(&bad, adding("z")).await.unwrap_err();
    assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
    assert_eq!(stored(&s3, &bad).await.unwrap().0, b"{\"items\": [\"a\"");

    // Listing and delete.
    let listed: Vec<String> = docs
        .list("p/_css-sync/state/v1/")
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.key)
        .collect();
    let mut want = vec![bad.clone(), key.clone()];
    if want_mode == WriteMode::Conditional && !matches!(kind, S3Kind::S3sFs) {
        want.push("p/_css-sync/state/v1/us-west/shard-0-of-2.json".into());
    }
    want.sort();
    assert_eq!(listed, want, "{kind:?}");
    docs.delete(&key).await.unwrap();
    assert!(docs.load::<Doc>(&key).await.unwrap().is_none());
    assert!(stored(&s3, &key).await.is_none());
    // The probe left nothing behind.
    let all = s3
        .client()
        .list_objects_v2()
        .bucket("lake")
        .send()
        .await
        .unwrap();
    assert!(
        all.contents()
            .iter()
            .all(|o| !o.key().unwrap().contains("_css-sync/check/")),
        "{kind:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn state_store_moto_honours_if_match() {
    state_store_on(
        S3Kind::Moto,
        ConditionalWrites::Auto,
        WriteMode::Conditional,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_store_seaweed_honours_if_match() {
    state_store_on(
        S3Kind::Seaweed,
        ConditionalWrites::Auto,
        WriteMode::Conditional,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_store_s3s_fs_honours_if_match() {
    state_store_on(
        S3Kind::S3sFs,
        ConditionalWrites::Auto,
        WriteMode::Conditional,
    )
    .await;
}

/// `S3_CONDITIONAL_WRITES=off`: no probe, no conditional header; every write read back.
#[tokio::test(flavor = "multi_thread")]
async fn state_store_s3s_fs_off_reads_after_write() {
    state_store_on(
        S3Kind::S3sFs,
        ConditionalWrites::Off,
        WriteMode::ReadAfterWrite,
    )
    .await;
}
