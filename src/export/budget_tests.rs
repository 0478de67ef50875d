//! The byte budget: the pure charge rule (never over the budget, a large entry always gets
//! at least one part in flight, never more parts than it has) and the semaphore (bytes given
//! back on drop, including when the holder failed).

use super::*;

const MIB: u64 = 1 << 20;

#[test]
fn charges_follow_the_rule() {
    // (budget, size, single, part, part_concurrency) → (bytes, parts in flight)
    type Case = ((u64, u64, bool, u64, usize), (u64, usize));
    let table: &[Case] = &[
        // single PUTs hold their body, at least ENTRY_MIN_CHARGE
        ((96 * MIB, 100 * 1024, true, 16 * MIB, 4), (MIB, 1)),
        ((96 * MIB, 0, true, 16 * MIB, 4), (MIB, 1)),
        ((96 * MIB, 10 * MIB, true, 16 * MIB, 4), (10 * MIB, 1)),
        // multipart at defaults: 4 in flight + 1 buffering
        ((96 * MIB, 1536 * MIB, false, 16 * MIB, 4), (80 * MIB, 4)),
        // a smaller budget lowers the parts in flight …
        ((64 * MIB, 1536 * MIB, false, 16 * MIB, 4), (64 * MIB, 3)),
        // … but never below one (2 parts fit the smallest valid budget)
        ((32 * MIB, 1536 * MIB, false, 16 * MIB, 4), (32 * MIB, 1)),
        // no more held than the entry has parts
        ((96 * MIB, 20 * MIB, false, 16 * MIB, 4), (32 * MIB, 2)),
        ((96 * MIB, 16 * MIB, false, 16 * MIB, 4), (16 * MIB, 1)),
        // a part grown past the budget (10,000 parts): capped, the entry runs alone
        ((32 * MIB, 400_000 * MIB, false, 41 * MIB, 4), (32 * MIB, 1)),
        // a body larger than the budget sent whole cannot happen, but is capped too
        ((8 * MIB, 10 * MIB, true, 16 * MIB, 4), (8 * MIB, 1)),
    ];
    for &((budget, size, single, part, pc), want) in table {
        let c = charge(budget, size, single, part, pc);
        assert_eq!(
            (c.bytes, c.part_concurrency),
            want,
            "{budget} {size} {single}"
        );
        assert!(c.bytes <= budget);
        assert!(c.part_concurrency >= 1 && c.part_concurrency <= pc);
    }
}

#[test]
fn charges_never_exceed_the_budget_and_cover_the_parts() {
    for budget in [32 * MIB, 33 * MIB, 64 * MIB, 96 * MIB, 1024 * MIB] {
        for size in [
            0,
            1,
            MIB,
            16 * MIB - 1,
            16 * MIB,
            16 * MIB + 1,
            100 * MIB,
            10_000 * MIB,
        ] {
            for pc in 1..=8 {
                let single = size < 16 * MIB;
                let c = charge(budget, size, single, 16 * MIB, pc);
                assert!(c.bytes <= budget, "{budget} {size} {pc}");
                if !single {
                    // what the upload may hold: the parts in flight and the buffering one
                    let held = (c.part_concurrency as u64 + 1).min(size.div_ceil(16 * MIB));
                    assert!(held * 16 * MIB <= c.bytes, "{budget} {size} {pc}: {c:?}");
                }
            }
        }
    }
}

#[tokio::test]
async fn held_bytes_come_back_on_drop_and_waiters_wait() {
    let b = Budget::new(4 * MIB);
    assert_eq!(b.available(), 4 * MIB);
    let first = b.acquire(3 * MIB).await;
    assert_eq!(first.bytes(), 3 * MIB);
    assert_eq!(b.available(), MIB);
    // a second entry that does not fit waits …
    let b2 = b.clone();
    let waiter = tokio::spawn(async move { b2.acquire(2 * MIB).await });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    // … until the first is given back (dropped, as on success, error or cancellation)
    drop(first);
    let second = waiter.await.unwrap();
    assert_eq!(b.available(), 2 * MIB);
    drop(second);
    assert_eq!(b.available(), 4 * MIB);
}

#[tokio::test]
async fn a_charge_above_the_budget_takes_all_of_it_and_never_deadlocks() {
    let b = Budget::new(2 * MIB);
    let all = b.acquire(10 * MIB).await;
    assert_eq!(b.available(), 0);
    drop(all);
    // a cancelled waiter gives back nothing it never had
    let b2 = b.clone();
    let held = b.acquire(2 * MIB).await;
    let waiter = tokio::spawn(async move { b2.acquire(MIB).await });
    tokio::task::yield_now().await;
    waiter.abort();
    let _ = waiter.await;
    drop(held);
    assert_eq!(b.available(), 2 * MIB);
}
