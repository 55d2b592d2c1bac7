//! A per-key token bucket (public tracking is rate-limited per client address).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

/// Allows `per_minute` requests per key per minute, with bursts up to the same number.
pub struct RateLimiter<K> {
    per_minute: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// A limiter of `per_minute` requests per key (0 disables the limit).
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; false when the key has none left.
    pub fn check(&self, key: &K) -> bool {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &K, now: Instant) -> bool {
        if self.per_minute <= 0.0 {
            return true;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() > 100_000 {
            // Forget idle clients rather than grow without bound.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * self.per_minute / 60.0
                    < self.per_minute
            });
        }
        let entry = buckets.entry(key.clone()).or_insert((self.per_minute, now));
        let refill = now.duration_since(entry.1).as_secs_f64() * self.per_minute / 60.0;
        entry.0 = (entry.0 + refill).min(self.per_minute);
        entry.1 = now;
        if entry.0 >= 1.0 {
            entry.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_and_refills_per_key() {
        let l = RateLimiter::new(3);
        let t0 = Instant::now();
        assert!(l.check_at(&1, t0) && l.check_at(&1, t0) && l.check_at(&1, t0));
        assert!(!l.check_at(&1, t0));
        assert!(l.check_at(&2, t0), "other keys have their own bucket");
        assert!(!l.check_at(&1, t0 + Duration::from_secs(10)));
        assert!(l.check_at(&1, t0 + Duration::from_secs(21)));
        assert!(RateLimiter::new(0).check(&1));
    }
}
