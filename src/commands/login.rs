//! `login` and `logout` (cli.md). Neither ever prints a token or the device code.

use std::io::Read;

use chrono::Utc;
use oauth2::RefreshToken;

use crate::auth::AuthConfig;
use crate::auth::clock::SystemClock;
use crate::auth::microsoft::{DeviceAuthorization, SignIn, to_stored, with_retries};
use crate::auth::store::{Cleared, Held, Stores};
use crate::auth::{StoredToken, device};
use crate::cli::LoginArgs;
use crate::commands::{Ctx, runtime};
use crate::error::{Error, Result};
use crate::logging::mask;

/// Sign in (device code, or a refresh token on stdin), store the token, say who and where.
pub fn login(ctx: &Ctx, args: LoginArgs) -> Result<()> {
    let client_id = ctx.settings.require_client_id()?;
    let s = &ctx.settings.auth();
    let stores = Stores::for_config(s);
    // A forced keyring that does not answer is known before anyone types a code.
    stores.require_keyring()?;
    let sign_in = SignIn::new(
        &s.authority_url,
        &s.tenant_id,
        client_id,
        &s.scope,
        s.http_timeout,
    )?;
    let token = if args.refresh_token_stdin {
        let given = read_refresh_token()?;
        runtime()?.block_on(redeem(&sign_in, &given, s))?
    } else {
        runtime()?.block_on(device_login(&sign_in, s))?
    };
    let held = stores.save_login(&token)?;
    if held == Held::File && !stores.file.dir_is_private() {
        tracing::warn!(
            "the directory of {} is open to other users; make it 0700",
            stores.file.path.display()
        );
    }
    tracing::info!(
        account = %token.account.as_deref().map(mask).unwrap_or_default(),
        store = held.name(),
        "signed in"
    );
    // For the person at the terminal: the account in clear.
    let who = token
        .account
        .as_deref()
        .unwrap_or("an account with no name claim");
    let place = match held {
        Held::Keyring => "the OS keyring".to_string(),
        Held::File => format!("the file store ({})", stores.file.path.display()),
    };
    eprintln!("Signed in as {who}. Token stored in {place}.");
    Ok(())
}

/// The refresh token from stdin, trimmed; 66 when there is none.
fn read_refresh_token() -> Result<RefreshToken> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::no_input(format!("cannot read the refresh token from stdin: {e}")))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::no_input(
            "no refresh token on stdin: pipe one in, e.g. `hunter-pc login --refresh-token-stdin < token.txt`",
        ));
    }
    Ok(RefreshToken::new(token.to_string()))
}

/// `--refresh-token-stdin`: redeem the given token once; the rotated one is what is stored.
async fn redeem(sign_in: &SignIn, given: &RefreshToken, s: &AuthConfig) -> Result<StoredToken> {
    let clock = SystemClock::new();
    let answer = with_retries(&clock, s.max_retries, "redeeming the refresh token", || {
        sign_in.refresh(given)
    })
    .await?;
    let previous = StoredToken {
        refresh_token: given.clone(),
        access_token: None,
        access_token_expires_at: None,
        account: None,
        tenant_id: sign_in.ids.tenant.clone(),
        client_id: sign_in.ids.client_id.clone(),
        saved_at: Utc::now(),
    };
    to_stored(&answer, &sign_in.ids, Some(&previous), Utc::now())
}

/// The device-code flow: show Microsoft's message, poll until done.
async fn device_login(sign_in: &SignIn, s: &AuthConfig) -> Result<StoredToken> {
    let clock = SystemClock::new();
    let device = device::start(sign_in, &clock, s.max_retries).await?;
    show_instructions(&device);
    let answer = device::poll(sign_in, &device, &clock, s.max_retries).await?;
    to_stored(&answer, &sign_in.ids, None, Utc::now())
}

/// Microsoft's `message` as given; the URL and the code on their own lines when it is missing.
fn show_instructions(device: &DeviceAuthorization) {
    match device.extra_fields().message.as_deref().map(str::trim) {
        Some(m) if !m.is_empty() => eprintln!("{m}"),
        _ => eprintln!(
            "To sign in, open this page in a browser:\n  {}\nand enter the code:\n  {}",
            device.verification_uri().as_str(),
            device.user_code().secret()
        ),
    }
    tracing::debug!(
        expires_in_secs = device.expires_in().as_secs(),
        interval_secs = device.interval().as_secs(),
        "waiting for the sign-in to finish"
    );
}

/// Remove the token from every store; say which held one. Exit 0 even when none did.
pub fn logout(ctx: &Ctx) -> Result<()> {
    let stores = Stores::for_config(&ctx.settings.auth());
    let results = stores.clear_all()?;
    let mut removed = Vec::new();
    let mut unreachable = String::new();
    for (held, what) in &results {
        let label = match held {
            Held::Keyring => "the OS keyring".to_string(),
            Held::File => format!("the file store ({})", stores.file.path.display()),
        };
        match what {
            Cleared::Removed => removed.push(label),
            Cleared::NothingThere => tracing::debug!(store = held.name(), "no token stored"),
            Cleared::Unreachable(why) => {
                tracing::info!(store = held.name(), "{why}; nothing removed there");
                unreachable = format!(" ({why}; nothing removed there)");
            }
        }
    }
    if removed.is_empty() {
        eprintln!("No stored token found; nothing to remove{unreachable}.");
    } else {
        eprintln!(
            "Removed the stored token from {}{unreachable}.",
            removed.join(" and ")
        );
    }
    Ok(())
}
