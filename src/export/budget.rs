//! issue 8 (overlap): the byte budget of one zip stream. Entries of a zip overlap on their way
//! to S3 (the next entry streams while earlier ones' PUTs, parts and sidecars complete), and
//! this module owns how much memory that may take: [`charge`] is the pure rule (how many
//! bytes an entry holds while its upload is open, and how many of its parts may be in flight
//! for that), [`Budget`] the semaphore of bytes it is acquired from before the entry's first
//! byte is buffered and given back when the upload is proven or aborted (the permit travels
//! with the upload and is released on drop, so an error or a cancelled task releases it too).
//! It never reads, uploads or decides whether an object counts.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The least an entry is charged, whatever its size: its requests, sidecar and connection
/// cost memory too, and this bounds the uploads in flight of a zip of tiny (or empty)
/// entries at `budget / ENTRY_MIN_CHARGE`.
pub const ENTRY_MIN_CHARGE: u64 = 1 << 20;

/// Permits are KiB, so a budget of any configurable size fits the semaphore's `u32` acquire.
const UNIT: u64 = 1024;

/// What one entry holds against the budget while its upload is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// Bytes taken from the budget (never more than the budget itself).
    pub bytes: u64,
    /// Parts of this upload allowed in flight while the next one buffers (multipart only;
    /// ≥ 1): `bytes` covers them and the buffering part.
    pub part_concurrency: usize,
}

/// Pure: the charge of an entry of `size` bytes. One sent with a single `PutObject`
/// (`single`) holds its whole body (at least [`ENTRY_MIN_CHARGE`]); a multipart one holds one
/// buffering part plus `k` parts in flight, `k` = as many of `part_concurrency` as the budget
/// allows beside the buffering part, at least 1, and no more parts than the entry has. Capped
/// at the budget, so every entry can start once the uploads before it are done (an entry
/// whose two parts exceed the whole budget, which validation rules out for the configured
/// part size, then runs alone).
pub fn charge(
    budget: u64,
    size: u64,
    single: bool,
    part_size: u64,
    part_concurrency: usize,
) -> Charge {
    let budget = budget.max(1);
    if single || part_size == 0 {
        return Charge {
            bytes: size.max(ENTRY_MIN_CHARGE).min(budget),
            part_concurrency: 1,
        };
    }
    let parts = size.div_ceil(part_size).max(1);
    let fits_in_flight = (budget / part_size).saturating_sub(1).max(1);
    let k = fits_in_flight
        .min(u64::try_from(part_concurrency.max(1)).unwrap_or(u64::MAX))
        .min(parts);
    let held_parts = (k + 1).min(parts);
    Charge {
        bytes: held_parts.saturating_mul(part_size).min(budget),
        part_concurrency: usize::try_from(k).unwrap_or(1),
    }
}

/// The bytes in flight of one zip stream.
#[derive(Debug, Clone)]
pub struct Budget {
    permits: Arc<Semaphore>,
    total: u64,
}

/// Bytes held from a [`Budget`] until dropped.
#[derive(Debug)]
pub struct Held {
    _permit: Option<OwnedSemaphorePermit>,
    bytes: u64,
}

impl Held {
    /// The bytes this holds (as charged, before rounding to permits).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Budget {
    pub fn new(total: u64) -> Budget {
        let units = usize::try_from(total.max(UNIT) / UNIT)
            .unwrap_or(Semaphore::MAX_PERMITS)
            .min(Semaphore::MAX_PERMITS);
        Budget {
            permits: Arc::new(Semaphore::new(units)),
            total,
        }
    }

    /// The whole budget in bytes.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn units(&self, bytes: u64) -> u32 {
        let all = u32::try_from(self.total.max(UNIT) / UNIT).unwrap_or(u32::MAX);
        u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .min(all)
    }

    /// Waits until `bytes` (capped at the budget) are free, then holds them.
    pub async fn acquire(&self, bytes: u64) -> Held {
        let units = self.units(bytes);
        // The semaphore is never closed (nothing here closes it); were it, the entry would
        // go on unheld rather than wait for ever.
        let permit = self.permits.clone().acquire_many_owned(units).await.ok();
        Held {
            _permit: permit,
            bytes,
        }
    }

    /// Bytes free right now.
    pub fn available(&self) -> u64 {
        (self.permits.available_permits() as u64).saturating_mul(UNIT)
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
