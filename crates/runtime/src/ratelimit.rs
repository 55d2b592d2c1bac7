//! A per-key token bucket (public tracking is rate-limited per client address), and the client
//! address a limit is keyed by: `X-Forwarded-For` is read only from configured trusted proxies,
//! and IPv6 clients share one bucket per /64 (a home or mobile connection gets a whole /64, so
//! rotating addresses inside it must not escape the limit).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
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
        self.wait_at(key, Instant::now()).is_none()
    }

    /// Takes one token for `key`: None when allowed, else how long until the next token (the
    /// RetryInfo delay of the refusal).
    pub fn wait(&self, key: &K) -> Option<std::time::Duration> {
        self.wait_at(key, Instant::now())
    }

    #[cfg(test)]
    fn check_at(&self, key: &K, now: Instant) -> bool {
        self.wait_at(key, now).is_none()
    }

    fn wait_at(&self, key: &K, now: Instant) -> Option<std::time::Duration> {
        if self.per_minute <= 0.0 {
            return None;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return None;
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
            None
        } else {
            Some(std::time::Duration::from_secs_f64(
                (1.0 - entry.0) * 60.0 / self.per_minute,
            ))
        }
    }
}

/// An address range, e.g. `10.0.0.0/8` or `fd00::/8` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix` or a bare address.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    /// Parses a comma-separated list; the first bad entry is returned as the error.
    pub fn parse_list(s: &str) -> std::result::Result<Vec<Cidr>, String> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| Cidr::parse(x).ok_or_else(|| x.to_string()))
            .collect()
    }

    /// True when `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as IPv4; others unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The key a client's requests are limited by: the TCP peer, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not a trusted proxy (read from the
/// right: everything left of it was written by the client and can be forged). IPv6 addresses are
/// cut to their /64.
pub fn client_key(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let mut client = canonical(peer?);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if is_trusted(client)
        && let Some(xff) = forwarded_for
    {
        for hop in xff.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                // A malformed hop: stop at the last address we could trust.
                break;
            };
            client = canonical(ip);
            if !is_trusted(client) {
                break;
            }
        }
    }
    Some(match client {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        v4 => v4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_trusted_proxies() {
        let trusted = Cidr::parse_list("10.0.0.0/8, fd00::/8").unwrap();
        // Directly connected: the peer, whatever the header says.
        assert_eq!(
            client_key(Some(ip("203.0.113.7")), Some("198.51.100.1"), &trusted),
            Some(ip("203.0.113.7"))
        );
        // Behind the ingress: the client it saw, not what the client wrote before it.
        assert_eq!(
            client_key(
                Some(ip("10.1.2.3")),
                Some("1.2.3.4, 198.51.100.9, 10.9.9.9"),
                &trusted
            ),
            Some(ip("198.51.100.9"))
        );
        // Every citizen behind the ingress no longer shares one bucket.
        assert_ne!(
            client_key(Some(ip("10.1.2.3")), Some("198.51.100.9"), &trusted),
            client_key(Some(ip("10.1.2.3")), Some("198.51.100.10"), &trusted)
        );
        // No header, or a garbled one: the proxy itself.
        assert_eq!(
            client_key(Some(ip("10.1.2.3")), None, &trusted),
            Some(ip("10.1.2.3"))
        );
        assert_eq!(
            client_key(Some(ip("10.1.2.3")), Some("garbage"), &trusted),
            Some(ip("10.1.2.3"))
        );
        // Nothing trusted: the header is ignored.
        assert_eq!(
            client_key(Some(ip("10.1.2.3")), Some("198.51.100.9"), &[]),
            Some(ip("10.1.2.3"))
        );
        assert!(Cidr::parse_list("10.0.0.0/33").is_err());
        assert!(Cidr::parse_list("nonsense").is_err());
        assert!(Cidr::parse("::ffff:10.0.0.1").is_some());
        assert!(trusted[0].contains(ip("::ffff:10.2.3.4")));
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        let a = client_key(Some(ip("2001:db8:1:2:aaaa::1")), None, &[]);
        let b = client_key(Some(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), None, &[]);
        let c = client_key(Some(ip("2001:db8:1:3::1")), None, &[]);
        assert_eq!(a, b);
        assert_eq!(a, Some(ip("2001:db8:1:2::")));
        assert_ne!(a, c);
        let l = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(l.check_at(&a.unwrap(), t0) && l.check_at(&b.unwrap(), t0));
        assert!(
            !l.check_at(&b.unwrap(), t0),
            "rotating inside the /64 shares the bucket"
        );
        assert!(l.check_at(&c.unwrap(), t0));
    }

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
