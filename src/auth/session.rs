//! The sign-in the sync uses: a cached access token while it has 5 minutes left, else a
//! silent refresh whose rotated refresh token is stored before the access token is handed out.

use std::time::Duration;

use chrono::Utc;

use crate::auth::AuthConfig;
use crate::error::{Error, Result};
use crate::partner_center::TokenSource;

use super::clock::SystemClock;
use super::microsoft::{SignIn, to_stored, with_retries};
use super::store::{Held, Stores, TokenStore};
use super::token::StoredToken;

/// A stored sign-in, ready to give access tokens. Opening it reads the stores only.
#[derive(Debug)]
pub struct Session {
    sign_in: SignIn,
    stores: Stores,
    held: Held,
    token: StoredToken,
    clock: SystemClock,
    max_retries: u32,
    lock_wait: Duration,
}

impl Session {
    /// The stored sign-in (77 "run `hunter-pc login`" when there is none). No network request.
    /// The refresh goes to the tenant and app registration the token was issued for.
    pub fn open(config: &AuthConfig) -> Result<Session> {
        let stores = Stores::for_config(config);
        let Some((token, held)) = stores.load()? else {
            return Err(Error::no_perm(
                "not signed in to Microsoft: run `hunter-pc login`",
            ));
        };
        if let Some(configured) = config.client_id.as_deref()
            && configured != token.client_id
        {
            return Err(Error::no_perm(format!(
                "the stored sign-in is for app registration {}, but HUNTER_PC_CLIENT_ID is {}: \
                 run `hunter-pc login`",
                token.client_id, configured
            )));
        }
        let sign_in = SignIn::new(
            &config.authority_url,
            &token.tenant_id,
            &token.client_id,
            &config.scope,
            config.http_timeout,
        )?;
        // Long enough for another process's refresh with all its retries.
        let lock_wait = config.http_timeout * (config.max_retries + 1) + Duration::from_secs(60);
        tracing::debug!(store = held.name(), "stored sign-in found");
        Ok(Session {
            sign_in,
            stores,
            held,
            token,
            clock: SystemClock::new(),
            max_retries: config.max_retries,
            lock_wait,
        })
    }

    /// The store the sign-in was read from (and refreshes are written to).
    pub fn store(&self) -> Held {
        self.held
    }

    /// The signed-in account, as stored (for the person at the terminal; mask it in logs).
    pub fn account(&self) -> Option<&str> {
        self.token.account.as_deref()
    }

    /// Refresh under the token file lock: re-read the store first (another process may have
    /// refreshed already), then redeem the newest refresh token and store the rotated one.
    async fn refresh(&mut self, force: bool) -> Result<String> {
        let _lock = self.stores.file.lock(self.lock_wait)?;
        if let Some(current) = self.stores.store(self.held).load()? {
            let someone_refreshed = current.access_token.as_ref().map(|a| a.secret())
                != self.token.access_token.as_ref().map(|a| a.secret());
            self.token = current;
            if (!force || someone_refreshed)
                && let Some(at) = self.token.fresh_access_token(Utc::now())
            {
                return Ok(at.secret().clone());
            }
        }
        let refresh_token = self.token.refresh_token.clone();
        let sign_in = &self.sign_in;
        let answer = with_retries(&self.clock, self.max_retries, "token refresh", || {
            sign_in.refresh(&refresh_token)
        })
        .await?;
        let token = to_stored(&answer, &self.sign_in.ids, Some(&self.token), Utc::now())?;
        // The old refresh token may already be void: store the new one before anything else.
        self.persist(&token)?;
        tracing::debug!(
            store = self.held.name(),
            expires_at = ?token.access_token_expires_at,
            "access token refreshed; rotated refresh token stored"
        );
        self.token = token;
        self.token
            .access_token
            .as_ref()
            .map(|a| a.secret().clone())
            .ok_or_else(|| Error::failure("the refreshed sign-in has no access token"))
    }
}

impl Session {
    /// Store a rotated token where the sign-in was read from; a keyring that fails now hands
    /// over to the file store rather than lose the new refresh token.
    fn persist(&mut self, token: &StoredToken) -> Result<()> {
        match self.stores.store(self.held).save(token) {
            Err(e) if self.held == Held::Keyring => {
                tracing::warn!(
                    store = "file",
                    "{e}; storing the rotated token in the file store {} instead",
                    self.stores.file.path.display()
                );
                self.stores.file.save(token)?;
                self.held = Held::File;
                Ok(())
            }
            other => other,
        }
    }
}

impl TokenSource for Session {
    /// The cached access token while it has 5 minutes left, else a refresh; `force_refresh`
    /// (after a 401) refreshes regardless.
    async fn access_token(&mut self, force_refresh: bool) -> Result<String> {
        if !force_refresh && let Some(at) = self.token.fresh_access_token(Utc::now()) {
            return Ok(at.secret().clone());
        }
        self.refresh(force_refresh).await
    }
}
