//! Unit tests for the bulk job state machine and job-level fault decisions.

use super::*;
use crate::config::FaultArgs;
use crate::content::ContentKind;

const S: Duration = Duration::from_secs(1);

#[test]
fn pure_state_machine() {
    use JobState::*;
    let st = |el: u64, ready, outcome, cancelled| {
        state_at(S * el as u32, S * 2, S * 3, ready, outcome, cancelled)
    };
    assert_eq!(st(0, false, Outcome::Done, false), NotStarted);
    assert_eq!(st(2, false, Outcome::Done, false), InProgress);
    assert_eq!(st(4, true, Outcome::Done, false), InProgress);
    assert_eq!(st(5, true, Outcome::Done, false), Done);
    assert_eq!(st(5, false, Outcome::Done, false), InProgress); // length not known yet
    assert_eq!(st(5, true, Outcome::Partial, false), PartialDone);
    assert_eq!(st(5, false, Outcome::Failed, false), Failed);
    assert_eq!(st(5, false, Outcome::Cancelled, false), Cancelled);
    assert_eq!(st(500, true, Outcome::Stuck, false), InProgress);
    assert_eq!(st(1, false, Outcome::Done, true), Cancelled);
    assert!(Done.is_terminal() && !InProgress.is_terminal());
    assert!(PartialDone.downloadable() && !Failed.downloadable());
}

fn objects(n: usize, poison: Option<usize>) -> Vec<Arc<SimObject>> {
    (0..n)
        .map(|i| {
            Arc::new(SimObject {
                id: format!("id-{i}"),
                region: "us-east".into(),
                object_type: "callrecording".into(),
                mime_type: "audio/mpeg".into(),
                object_name: format!("n{i}.mp3"),
                customer_id: "c".into(),
                user_id: "u".into(),
                stored_bytes: 1000,
                created_ms: 1_725_148_800_000,
                updated_ms: 1_725_148_800_000,
                state: "AVAILABLE".into(),
                bucket_id: "b".into(),
                tags: vec![],
                shared: false,
                kind: ContentKind::Binary,
                poison: poison == Some(i),
                part_style_checksum: false,
                expired: Default::default(),
                restored_at: Default::default(),
                digest: OnceLock::new(),
            })
        })
        .collect()
}

fn cfg(base_ms: u64, rate: u64) -> SimConfig {
    let mut c = SimConfig::for_tests();
    c.prep_base_ms = base_ms;
    c.prep_rate = rate;
    c.zip_layout = "stored".into();
    c
}

async fn wait_ready(job: &Job) {
    for _ in 0..10_000 {
        if job.ready().is_some() {
            return;
        }
        tokio::task::yield_now().await;
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("job never became ready");
}

#[tokio::test(start_paused = true)]
async fn job_walks_through_states_on_the_clock() {
    // 4 × 1000 bytes at 1000 B/s = 4 s of work after 2 s of queue.
    let jobs = Jobs::default();
    let faults = Faults::new(&FaultArgs::default());
    let job = jobs.create(&cfg(2000, 1000), &faults, "us-east", objects(4, None));
    assert!(job.zip_name.ends_with(".zip") && job.zip_name.len() == 40);
    assert_eq!(job.state(), JobState::NotStarted);
    tokio::time::advance(S * 2).await;
    assert_eq!(job.state(), JobState::InProgress);
    wait_ready(&job).await;
    tokio::time::advance(S * 3).await;
    assert_eq!(job.state(), JobState::InProgress);
    tokio::time::advance(S).await;
    assert_eq!(job.state(), JobState::Done);
    assert!(job.ready().unwrap().len > 4000);
    assert_eq!(
        job.cancel(),
        JobState::Done,
        "a finished job stays finished"
    );
    assert_eq!(jobs.get(&job.zip_name).unwrap().index, 0);
    let second = jobs.create(&cfg(2000, 1000), &faults, "us-east", objects(1, None));
    assert_ne!(second.zip_name, job.zip_name);
    assert_eq!(second.cancel(), JobState::Cancelled);
    assert_eq!(jobs.all().len(), 2);
}

#[tokio::test]
async fn zip_names_are_deterministic_under_the_seed() {
    let faults = Faults::new(&FaultArgs::default());
    let a = Jobs::default().create(&cfg(0, 0), &faults, "uk", objects(1, None));
    let b = Jobs::default().create(&cfg(0, 0), &faults, "uk", objects(1, None));
    assert_eq!(a.zip_name, b.zip_name);
}

#[tokio::test]
async fn job_faults_decide_outcomes() {
    let c = cfg(0, 0);
    let f = |args: FaultArgs| Faults::new(&args);
    let jobs = Jobs::default();
    let failed = f(FaultArgs {
        fault_failed_count: Some(1),
        ..Default::default()
    });
    assert_eq!(
        jobs.create(&c, &failed, "uk", objects(2, None)).state(),
        JobState::Failed
    );
    assert_eq!(
        jobs.create(&c, &failed, "uk", objects(2, None)).outcome,
        Outcome::Done
    );
    let none = f(FaultArgs::default());
    assert_eq!(
        jobs.create(&c, &none, "uk", objects(3, Some(1))).state(),
        JobState::Failed
    );
    let stuck = f(FaultArgs {
        fault_stuck_count: Some(1),
        ..Default::default()
    });
    assert_eq!(
        jobs.create(&c, &stuck, "uk", objects(1, None)).state(),
        JobState::InProgress
    );
    let cancel = f(FaultArgs {
        fault_cancel_count: Some(1),
        ..Default::default()
    });
    assert_eq!(
        jobs.create(&c, &cancel, "uk", objects(1, None)).state(),
        JobState::Cancelled
    );
    let partial = f(FaultArgs {
        fault_partial_count: Some(2),
        ..Default::default()
    });
    let one = jobs.create(&c, &partial, "uk", objects(1, None));
    assert_eq!(
        one.outcome,
        Outcome::Done,
        "a single object cannot be partial"
    );
    let p = jobs.create(&c, &partial, "uk", objects(8, None));
    assert_eq!(p.outcome, Outcome::Partial);
    assert_eq!(p.included.len(), 6);
    wait_ready(&p).await;
    let st = p.status_json(p.state());
    assert_eq!(st.status, "PARTIAL_DONE");
    assert_eq!(st.content.unwrap().len(), 6);
    let zf = f(FaultArgs {
        fault_truncate_count: Some(1),
        fault_corrupt_count: Some(1),
        fault_duplicate_count: Some(1),
        ..Default::default()
    });
    let z = jobs.create(&c, &zf, "uk", objects(3, None));
    assert!(z.truncate.is_some() && z.corrupt.is_some() && z.duplicate.is_some());
    wait_ready(&z).await;
    let r = z.ready().unwrap();
    assert_eq!(r.plan.entries.len(), 4);
    assert_eq!(
        r.plan.entries[3].name,
        r.plan.entries[z.duplicate.unwrap()].name
    );
    assert_ne!(
        r.plan.entries[3].digest.md5,
        r.plan.entries[z.duplicate.unwrap()].digest.md5
    );
    assert_eq!(r.plan.truncate_at, Some(r.len));
    assert!(r.plan.entries[z.corrupt.unwrap()].corrupt);
}

#[test]
fn suffix_entry_names_keep_the_last_slash_or_colon_segment() {
    let table = [
        ("ipbx:a:callrecording:users:1:x_E.mp3", true, "x_E.mp3"),
        ("a/b/c.wav", true, "c.wav"),
        ("a/b:c.wav", true, "c.wav"),
        ("plain.mp3", true, "plain.mp3"),
        ("a/b/c.wav", false, "a/b/c.wav"),
    ];
    for (name, suffix, want) in table {
        assert_eq!(entry_name(name, suffix), want, "{name}");
    }
}
