//! The device authorization grant (RFC 8628), driven here rather than by the `oauth2` crate so
//! that Microsoft's `error_codes` are kept and network failures end in exit 69.
//!
//! Spacing: wait `interval` before each poll; `slow_down` adds 5 s to it for good; a
//! transient failure waits the longer of the interval and the retry backoff. The poll stops
//! when the next one would fall at or after `expires_in`, whatever the server says.

use std::time::Duration;

use crate::error::{Error, Result};

use super::clock::{Clock, backoff};
use super::microsoft::{DeviceAuthorization, Outcome, SignIn, TokenAnswer, unreachable};

/// RFC 8628 §3.5: `slow_down` increases the interval by 5 seconds.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// Ask for a device code, retrying transient failures (`max_retries`, then 69).
pub async fn start<C: Clock>(
    sign_in: &SignIn,
    clock: &C,
    max_retries: u32,
) -> Result<DeviceAuthorization> {
    super::microsoft::with_retries(clock, max_retries, "device sign-in", || {
        sign_in.device_authorization()
    })
    .await
}

/// Poll the token endpoint until the person finishes, declines, or the code expires.
pub async fn poll<C: Clock>(
    sign_in: &SignIn,
    device: &DeviceAuthorization,
    clock: &C,
    max_retries: u32,
) -> Result<TokenAnswer> {
    let expires_in = device.expires_in();
    let deadline = clock.now() + expires_in;
    let mut interval = device.interval();
    let mut wait = interval;
    let mut failures = 0;
    loop {
        if clock.now() + wait >= deadline {
            return Err(expired(expires_in));
        }
        clock.sleep(wait).await;
        match sign_in.redeem_device_code(device.device_code()).await {
            Ok(answer) => return Ok(answer),
            Err(Outcome::Pending) => {
                failures = 0;
                wait = interval;
            }
            Err(Outcome::SlowDown) => {
                failures = 0;
                interval += SLOW_DOWN_STEP;
                tracing::debug!(
                    interval_secs = interval.as_secs(),
                    "slow_down: polling less often"
                );
                wait = interval;
            }
            Err(Outcome::Transient(why)) => {
                failures += 1;
                if failures > max_retries {
                    return Err(unreachable("device sign-in", &why, failures));
                }
                tracing::warn!(attempt = failures, "device sign-in: {why}; retrying");
                wait = interval.max(backoff(failures));
            }
            Err(Outcome::Stop(e)) => return Err(e),
        }
    }
}

/// Exit 77: the code ran out before the person finished.
fn expired(expires_in: Duration) -> Error {
    Error::no_perm(format!(
        "the sign-in code expired: nobody finished the sign-in within {} s; run `hunter-pc \
         login` again",
        expires_in.as_secs()
    ))
}
