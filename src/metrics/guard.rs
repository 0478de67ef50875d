//! RAII guards for the in-flight gauges: a guard adds to its gauge when made and takes back
//! exactly what it still holds when dropped, so a gauge can never leak on an error path, an
//! early return or a cancelled future. It never decides what is in flight; the stage modules
//! (jobs, downloads, uploads) hold the guards.

use metrics::Gauge;

/// A count in flight (jobs preparing, downloads, uploads): `n` now, given back one by one
/// with [`InFlight::done_one`] or all at once on drop.
#[must_use = "the gauge goes back down when the guard is dropped"]
pub struct InFlight {
    gauge: Gauge,
    held: u64,
}

impl InFlight {
    /// Adds `n` to `gauge`.
    pub fn new(gauge: Gauge, n: u64) -> InFlight {
        gauge.increment(n as f64);
        InFlight { gauge, held: n }
    }

    /// One of them ended (saturating: never below what this guard added).
    pub fn done_one(&mut self) {
        if self.held > 0 {
            self.held -= 1;
            self.gauge.decrement(1.0);
        }
    }

    /// How many this guard still holds.
    pub fn held(&self) -> u64 {
        self.held
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.gauge.decrement(self.held as f64);
    }
}

/// Bytes held (an upload buffer, a part being sent): resized with [`Held::set`], given back on
/// drop.
#[must_use = "the gauge goes back down when the guard is dropped"]
pub struct Held {
    gauge: Gauge,
    bytes: u64,
}

impl Held {
    /// Holds `bytes` on `gauge`.
    pub fn new(gauge: Gauge, bytes: u64) -> Held {
        gauge.increment(bytes as f64);
        Held { gauge, bytes }
    }

    /// Now holds `bytes` instead.
    pub fn set(&mut self, bytes: u64) {
        if bytes >= self.bytes {
            self.gauge.increment((bytes - self.bytes) as f64);
        } else {
            self.gauge.decrement((self.bytes - bytes) as f64);
        }
        self.bytes = bytes;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.gauge.decrement(self.bytes as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the label-free gauge `g` in a rendering.
    fn gauge_value(handle: &metrics_exporter_prometheus::PrometheusHandle) -> f64 {
        handle
            .render()
            .lines()
            .find_map(|l| l.strip_prefix("g ").map(|v| v.parse().unwrap()))
            .unwrap_or(f64::NAN)
    }

    #[test]
    fn guards_give_back_exactly_what_they_hold() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let h = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let g = || metrics::gauge!("g");
            let mut jobs = InFlight::new(g(), 3);
            assert_eq!(gauge_value(&h), 3.0);
            jobs.done_one();
            let other = InFlight::new(g(), 1);
            assert_eq!(gauge_value(&h), 3.0);
            drop(jobs);
            assert_eq!(gauge_value(&h), 1.0);
            let mut jobs = InFlight::new(g(), 1);
            jobs.done_one();
            jobs.done_one(); // more than it held: ignored
            assert_eq!((jobs.held(), gauge_value(&h)), (0, 1.0));
            drop((jobs, other));
            assert_eq!(gauge_value(&h), 0.0);

            let mut held = Held::new(g(), 100);
            held.set(40);
            assert_eq!(gauge_value(&h), 40.0);
            held.set(300);
            assert_eq!(gauge_value(&h), 300.0);
            drop(held);
            assert_eq!(gauge_value(&h), 0.0);
        });
    }
}
