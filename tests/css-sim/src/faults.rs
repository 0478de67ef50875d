//! Fault decisions and the deterministic randomness behind them. Every decision is a pure
//! function of (seed, fault name, occurrence number), capped by an optional count, so a run
//! with the same seed and the same request order injects the same faults. This module only
//! decides; the HTTP and job modules carry the faults out.

use super::config::FaultArgs;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// SplitMix64 finaliser: a good 64-bit mixing function.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a seed and a string (FNV-1a folded through [`mix`]).
pub fn hash_str(seed: u64, s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ mix(seed);
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// A uniform number in [0, 1) for (seed, tag, index).
pub fn unit(seed: u64, tag: &str, index: u64) -> f64 {
    (mix(hash_str(seed, tag) ^ mix(index)) >> 11) as f64 / (1u64 << 53) as f64
}

/// A small deterministic generator (SplitMix64) for catalog generation.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(mix(seed))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi) (hi > lo).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(1e-12);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// One fault: a rate and an optional cap on how often it fires.
#[derive(Debug)]
pub struct Fault {
    pub name: &'static str,
    rate: f64,
    count: Option<u64>,
    seen: AtomicU64,
    fired: AtomicU64,
}

impl Fault {
    pub fn new(name: &'static str, rate: f64, count: Option<u64>) -> Self {
        // A count without a rate means "the first COUNT occurrences".
        let rate = if count.is_some() && rate == 0.0 {
            1.0
        } else {
            rate
        };
        Fault {
            name,
            rate,
            count,
            seen: AtomicU64::new(0),
            fired: AtomicU64::new(0),
        }
    }

    /// Pure decision for occurrence `index`, ignoring the count cap.
    pub fn rolls(&self, seed: u64, index: u64) -> bool {
        self.rate > 0.0 && unit(seed, self.name, index) < self.rate
    }

    /// Decides the next occurrence: counts it, rolls, and respects the cap.
    pub fn decide(&self, seed: u64) -> bool {
        if self.rate <= 0.0 {
            return false;
        }
        let index = self.seen.fetch_add(1, Ordering::Relaxed);
        if !self.rolls(seed, index) {
            return false;
        }
        match self.count {
            None => {
                self.fired.fetch_add(1, Ordering::Relaxed);
                true
            }
            Some(cap) => self
                .fired
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                    (f < cap).then_some(f + 1)
                })
                .is_ok(),
        }
    }

    pub fn fired(&self) -> u64 {
        self.fired.load(Ordering::Relaxed)
    }
}

/// An HTTP-level fault answered instead of the real response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpFault {
    TooManyRequests,
    Unavailable,
    Internal,
}

/// All configured faults.
#[derive(Debug)]
pub struct Faults {
    pub too_many: Fault,
    pub internal: Fault,
    pub unavailable: Fault,
    pub reset: Fault,
    pub truncate: Fault,
    pub corrupt: Fault,
    pub partial: Fault,
    pub failed: Fault,
    pub stuck: Fault,
    pub cancel: Fault,
    pub duplicate: Fault,
    pub retry_after: u64,
    scope: Option<HashSet<String>>,
}

impl Faults {
    pub fn new(a: &FaultArgs) -> Self {
        let scope: HashSet<String> = a
            .fault_scope
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Faults {
            too_many: Fault::new("429", a.fault_429_rate, a.fault_429_count),
            internal: Fault::new("500", a.fault_500_rate, a.fault_500_count),
            unavailable: Fault::new("503", a.fault_503_rate, a.fault_503_count),
            reset: Fault::new("reset", a.fault_reset_rate, a.fault_reset_count),
            truncate: Fault::new("truncate", a.fault_truncate_rate, a.fault_truncate_count),
            corrupt: Fault::new("corrupt", a.fault_corrupt_rate, a.fault_corrupt_count),
            partial: Fault::new("partial", a.fault_partial_rate, a.fault_partial_count),
            failed: Fault::new("failed", a.fault_failed_rate, a.fault_failed_count),
            stuck: Fault::new("stuck", a.fault_stuck_rate, a.fault_stuck_count),
            cancel: Fault::new("cancel", a.fault_cancel_rate, a.fault_cancel_count),
            duplicate: Fault::new("duplicate", a.fault_duplicate_rate, a.fault_duplicate_count),
            retry_after: a.retry_after,
            scope: (!scope.is_empty()).then_some(scope),
        }
    }

    /// The HTTP fault (if any) for the next request to `endpoint`: 429, then 503, then 500.
    pub fn http(&self, seed: u64, endpoint: &str) -> Option<HttpFault> {
        if let Some(scope) = &self.scope {
            if !scope.contains(endpoint) {
                return None;
            }
        }
        if self.too_many.decide(seed) {
            Some(HttpFault::TooManyRequests)
        } else if self.unavailable.decide(seed) {
            Some(HttpFault::Unavailable)
        } else if self.internal.decide(seed) {
            Some(HttpFault::Internal)
        } else {
            None
        }
    }

    /// How often each fault fired so far (for `/_sim/faults`).
    pub fn summary(&self) -> Value {
        let all = [
            &self.too_many,
            &self.internal,
            &self.unavailable,
            &self.reset,
            &self.truncate,
            &self.corrupt,
            &self.partial,
            &self.failed,
            &self.stuck,
            &self.cancel,
            &self.duplicate,
        ];
        let mut m = serde_json::Map::new();
        for f in all {
            m.insert(f.name.to_string(), json!(f.fired()));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_rate_never_fires() {
        let f = Fault::new("x", 0.0, None);
        assert!((0..1000).all(|_| !f.decide(7)));
    }

    #[test]
    fn full_rate_always_fires() {
        let f = Fault::new("x", 1.0, None);
        assert!((0..100).all(|_| f.decide(7)));
        assert_eq!(f.fired(), 100);
    }

    #[test]
    fn rate_is_roughly_honoured_and_deterministic() {
        let run = |seed| {
            let f = Fault::new("reset", 0.3, None);
            (0..2000).map(|_| f.decide(seed)).collect::<Vec<_>>()
        };
        let a = run(42);
        assert_eq!(a, run(42));
        assert_ne!(a, run(43));
        let hits = a.iter().filter(|b| **b).count();
        assert!((500..700).contains(&hits), "{hits}");
    }

    #[test]
    fn count_alone_means_first_k() {
        let f = Fault::new("reset", 0.0, Some(2));
        let got: Vec<bool> = (0..5).map(|_| f.decide(1)).collect();
        assert_eq!(got, vec![true, true, false, false, false]);
        assert_eq!(f.fired(), 2);
    }

    #[test]
    fn count_caps_a_rate() {
        let f = Fault::new("x", 1.0, Some(3));
        assert_eq!((0..10).filter(|_| f.decide(1)).count(), 3);
    }

    #[test]
    fn http_faults_respect_scope_and_priority() {
        let a = FaultArgs {
            fault_429_count: Some(1),
            fault_500_count: Some(1),
            fault_scope: vec!["objects".into()],
            ..FaultArgs::default()
        };
        let f = Faults::new(&a);
        assert_eq!(f.http(1, "token"), None);
        assert_eq!(f.http(1, "objects"), Some(HttpFault::TooManyRequests));
        assert_eq!(f.http(1, "objects"), Some(HttpFault::Internal));
        assert_eq!(f.http(1, "objects"), None);
        assert_eq!(f.summary()["429"], 1);
    }

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::new(5);
        let mut b = Rng::new(5);
        for _ in 0..100 {
            let x = a.f64();
            assert_eq!(x, b.f64());
            assert!((0.0..1.0).contains(&x));
            let r = a.range(10, 20);
            b.range(10, 20);
            assert!((10..20).contains(&r));
        }
        assert!((0.0..1.0).contains(&unit(1, "t", 9)));
    }
}
