//! What an answer means and how long to wait before trying again (pipeline.md §1).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// What the client does with an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 2xx: read the page.
    Page,
    /// 429, 500, 502, 503, 504: wait and try again, up to `max_retries` times.
    Retry,
    /// 401: refresh the access token once and try once more.
    Refresh,
    /// 403: the signed-in user lacks a Referrals role (or Conditional Access said no).
    Forbidden,
    /// 400: the service refused the query (the first page falls back to an unfiltered read).
    BadRequest,
    /// Any other status: no retry, exit 1 (4xx) or 69 (anything else).
    Stop,
}

/// The statuses that are retried, in one place.
const RETRIED: &[u16] = &[429, 500, 502, 503, 504];

pub(crate) fn verdict(status: StatusCode) -> Verdict {
    match status.as_u16() {
        200..=299 => Verdict::Page,
        401 => Verdict::Refresh,
        403 => Verdict::Forbidden,
        400 => Verdict::BadRequest,
        s if RETRIED.contains(&s) => Verdict::Retry,
        _ => Verdict::Stop,
    }
}

/// First backoff step; doubled per retry.
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(1000);
/// No single backoff step is longer than this.
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// Exponential backoff with "equal jitter": for retry `attempt` (0 for the first retry) the
/// step is `base · 2^attempt` (capped), and the wait is uniform in `[step/2, step]`.
/// `jitter` is a number in `[0, 1)`.
pub(crate) fn backoff(attempt: u32, jitter: f64) -> Duration {
    let step = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(BACKOFF_CAP);
    let jitter = jitter.clamp(0.0, 1.0);
    step / 2 + step.mul_f64(jitter / 2.0)
}

/// A random number in `[0, 1)` for jitter, from the OS random source (via uuid v4).
pub(crate) fn random_jitter() -> f64 {
    let bits = (uuid::Uuid::new_v4().as_u128() >> 64) as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// `Retry-After` as delta-seconds or as an HTTP date (RFC 9110 §10.2.3); a date in the past
/// means "now". `None` when absent or unreadable.
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((date - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn statuses_map_to_verdicts() {
        let v = |s: u16| verdict(StatusCode::from_u16(s).unwrap());
        assert_eq!(v(200), Verdict::Page);
        for s in [429, 500, 502, 503, 504] {
            assert_eq!(v(s), Verdict::Retry, "{s}");
        }
        assert_eq!(v(401), Verdict::Refresh);
        assert_eq!(v(403), Verdict::Forbidden);
        assert_eq!(v(400), Verdict::BadRequest);
        assert_eq!(v(404), Verdict::Stop);
        assert_eq!(v(501), Verdict::Stop);
    }

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        assert_eq!(backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(0, 1.0), Duration::from_millis(1000));
        assert_eq!(backoff(1, 0.0), Duration::from_millis(1000));
        assert_eq!(backoff(2, 0.5), Duration::from_millis(3000));
        assert_eq!(backoff(30, 1.0), BACKOFF_CAP);
        let j = random_jitter();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            retry_after(&headers("57"), now),
            Some(Duration::from_secs(57))
        );
        assert_eq!(
            retry_after(&headers("Sun, 01 Nov 2026 10:00:03 GMT"), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers("Sun, 01 Nov 2026 09:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
