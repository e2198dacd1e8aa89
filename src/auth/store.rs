//! Token stores (partner-center.md, "Token storage"): the OS keyring, a JSON file, and `auto`
//! (keyring if it answers within 3 s, else the file).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::auth::AuthConfig;
use crate::error::{Error, Result};

use super::token::StoredToken;

/// Which store keeps the refresh token (`HUNTER_PC_TOKEN_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStoreKind {
    /// The OS keyring when it answers within 3 s, else the file.
    Auto,
    Keyring,
    File,
}

impl TokenStoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStoreKind::Auto => "auto",
            TokenStoreKind::Keyring => "keyring",
            TokenStoreKind::File => "file",
        }
    }
}

/// Every keyring call must answer within this long (a server usually has no keyring at all).
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(3);

/// One place a token can be kept.
pub trait TokenStore {
    /// `keyring` or `file`, as `status` and `login` show it.
    fn name(&self) -> &'static str;
    /// The stored token, `None` when the store holds none.
    fn load(&self) -> Result<Option<StoredToken>>;
    /// Replace the stored token, atomically.
    fn save(&self, token: &StoredToken) -> Result<()>;
    /// Remove the stored token; `true` when there was one.
    fn clear(&self) -> Result<bool>;
}

// ---------------------------------------------------------------------------------------------
// File store

/// JSON at the token file path, 0600 in a 0700 directory, replaced by temp file + fsync +
/// rename. [`FileStore::lock`] serialises read-refresh-write between processes.
#[derive(Debug, Clone)]
pub struct FileStore {
    pub path: PathBuf,
}

/// An exclusive lock on the token file's companion `.lock` file, released on drop.
#[derive(Debug)]
pub struct TokenLock {
    _file: File,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.dir().join(name)
    }

    /// Create the directory (0700) when it is missing.
    fn ensure_dir(&self) -> Result<()> {
        let dir = self.dir();
        if dir.is_dir() {
            return Ok(());
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| self.io_error("cannot create the directory of", e))?;
        // `recursive` applies the mode before the umask; make the last level exact.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| self.io_error("cannot set the mode of the directory of", e))
    }

    /// Whether the directory is closed to group and others (0700 or stricter).
    pub fn dir_is_private(&self) -> bool {
        fs::metadata(self.dir())
            .map(|m| m.permissions().mode() & 0o077 == 0)
            .unwrap_or(false)
    }

    fn io_error(&self, what: &str, e: std::io::Error) -> Error {
        let text = format!("{what} the token file {}: {e}", self.path.display());
        match e.kind() {
            std::io::ErrorKind::PermissionDenied => Error::config(format!(
                "{text}; run as the user that owns it (e.g. `sudo -u hunter-pc hunter-pc …`) \
                 or set HUNTER_PC_TOKEN_FILE"
            )),
            _ => Error::failure(text),
        }
    }

    /// A token file other users may read is refused (77, with the fix): anyone who can read
    /// it can sign in as the account. Readable by the group is warned about.
    fn check_mode(&self, mode: u32) -> Result<()> {
        let mode = mode & 0o777;
        let path = self.path.display();
        if mode & 0o006 != 0 {
            return Err(Error::no_perm(format!(
                "the token file {path} is open to every user (mode {mode:04o}), so anyone on \
                 this machine could use the sign-in; refusing it: run `chmod 600 {path}` (if others may have \
                 copied it, revoke the account's sessions in Entra and run `hunter-pc login`)"
            )));
        }
        if mode & 0o060 != 0 {
            tracing::warn!(
                "the token file {path} is open to its group (mode {mode:04o}); run `chmod 600 {path}`"
            );
        }
        Ok(())
    }

    /// Take the exclusive lock, waiting up to `wait` for another process to finish.
    pub fn lock(&self, wait: Duration) -> Result<TokenLock> {
        self.ensure_dir()?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.lock_path())
            .map_err(|e| self.io_error("cannot open the lock of", e))?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(TokenLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::temp(format!(
                        "another hunter-pc process has held the lock on {} for over {} s; \
                         try again later",
                        self.path.display(),
                        wait.as_secs()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(self.io_error("cannot lock", e));
                }
            }
        }
    }
}

impl TokenStore for FileStore {
    fn name(&self) -> &'static str {
        "file"
    }

    fn load(&self) -> Result<Option<StoredToken>> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error("cannot read", e)),
        };
        let mode = file
            .metadata()
            .map_err(|e| self.io_error("cannot read", e))?
            .permissions()
            .mode();
        self.check_mode(mode)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| self.io_error("cannot read", e))?;
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            // serde's message names the position, never the content.
            Error::no_perm(format!(
                "the token file {} is not a valid hunter-pc token ({e}); run `hunter-pc login`",
                self.path.display()
            ))
        })
    }

    fn save(&self, token: &StoredToken) -> Result<()> {
        self.ensure_dir()?;
        let json = serde_json::to_vec_pretty(token)?;
        let tmp = self.dir().join(format!(
            ".{}.{}.{}.tmp",
            self.path.file_name().unwrap_or_default().to_string_lossy(),
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            // The rename itself is durable once the directory is synced.
            File::open(self.dir())?.sync_all()
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            self.io_error("cannot write", e)
        })
    }

    fn clear(&self) -> Result<bool> {
        match fs::remove_file(&self.path) {
            Ok(()) => {
                let _ = fs::remove_file(self.lock_path());
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io_error("cannot remove", e)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keyring store

/// The OS credential store (Secret Service on Linux), one entry holding the token as JSON.
/// Every call runs on a thread of its own and is abandoned after [`KEYRING_TIMEOUT`].
#[derive(Debug, Clone, Default)]
pub struct KeyringStore;

const KEYRING_SERVICE: &str = "hunter-pc";
const KEYRING_USER: &str = "partner-center-sign-in";

/// Why a keyring call did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringTrouble {
    /// No answer within [`KEYRING_TIMEOUT`].
    NoAnswer,
    /// The keyring answered with a failure (no keyring running, locked, …).
    Failed(String),
}

impl std::fmt::Display for KeyringTrouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyringTrouble::NoAnswer => write!(
                f,
                "the OS keyring did not answer within {} s",
                KEYRING_TIMEOUT.as_secs()
            ),
            KeyringTrouble::Failed(why) => write!(f, "the OS keyring is not usable: {why}"),
        }
    }
}

impl KeyringTrouble {
    /// The error for `--token-store keyring` when the keyring cannot be used.
    pub fn into_config_error(self) -> Error {
        Error::config(format!(
            "{self}; --token-store keyring needs a running Secret Service (e.g. gnome-keyring) \
             in this session; on a server use --token-store file"
        ))
    }
}

/// A keyring error as safe text: never the stored value (`BadEncoding` carries it).
fn describe_keyring_error(e: &keyring::Error) -> String {
    use keyring::Error as K;
    match e {
        K::PlatformFailure(inner) => format!("platform failure: {inner}"),
        K::NoStorageAccess(inner) => format!("no storage access: {inner}"),
        K::NoEntry => "no entry".into(),
        K::BadEncoding(_) => "the stored value is not UTF-8".into(),
        K::TooLong(what, max) => format!("{what} is longer than {max}"),
        K::Invalid(what, why) => format!("invalid {what}: {why}"),
        K::Ambiguous(items) => format!("{} matching entries", items.len()),
        _ => "unknown keyring error".into(),
    }
}

impl KeyringStore {
    /// Run one keyring operation off the async runtime, bounded by [`KEYRING_TIMEOUT`].
    /// `Ok(None)` means the keyring answered "no entry".
    fn call<T: Send + 'static>(
        op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<Option<T>, KeyringTrouble> {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("keyring".into())
            .spawn(move || {
                let answer =
                    keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER).and_then(|e| op(&e));
                let _ = tx.send(answer);
            });
        if let Err(e) = spawned {
            return Err(KeyringTrouble::Failed(format!(
                "cannot start a thread: {e}"
            )));
        }
        match rx.recv_timeout(KEYRING_TIMEOUT) {
            Ok(Ok(v)) => Ok(Some(v)),
            Ok(Err(keyring::Error::NoEntry)) => Ok(None),
            Ok(Err(e)) => Err(KeyringTrouble::Failed(describe_keyring_error(&e))),
            // The thread may stay blocked on D-Bus; it is abandoned, the process goes on.
            Err(_) => Err(KeyringTrouble::NoAnswer),
        }
    }

    /// The stored JSON, or why the keyring did not answer.
    pub fn try_load(&self) -> Result<Option<StoredToken>, KeyringTrouble> {
        let Some(json) = Self::call(|e| e.get_password())? else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| KeyringTrouble::Failed(format!("the stored entry is not valid ({e})")))
    }

    pub fn try_save(&self, token: &StoredToken) -> Result<(), KeyringTrouble> {
        let json = serde_json::to_string(token)
            .map_err(|e| KeyringTrouble::Failed(format!("cannot encode the token: {e}")))?;
        Self::call(move |e| e.set_password(&json)).map(|_| ())
    }

    pub fn try_clear(&self) -> Result<bool, KeyringTrouble> {
        Self::call(|e| e.delete_credential()).map(|done| done.is_some())
    }
}

impl TokenStore for KeyringStore {
    fn name(&self) -> &'static str {
        "keyring"
    }
    fn load(&self) -> Result<Option<StoredToken>> {
        self.try_load().map_err(KeyringTrouble::into_config_error)
    }
    fn save(&self, token: &StoredToken) -> Result<()> {
        self.try_save(token)
            .map_err(KeyringTrouble::into_config_error)
    }
    fn clear(&self) -> Result<bool> {
        self.try_clear().map_err(KeyringTrouble::into_config_error)
    }
}

// ---------------------------------------------------------------------------------------------
// The stores a command uses, by `--token-store`

/// Which store holds (or will hold) the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Keyring,
    File,
}

impl Held {
    pub fn name(self) -> &'static str {
        match self {
            Held::Keyring => "keyring",
            Held::File => "file",
        }
    }
}

/// The keyring and the file store, used as `--token-store auto|keyring|file` says.
#[derive(Debug, Clone)]
pub struct Stores {
    pub kind: TokenStoreKind,
    pub keyring: KeyringStore,
    pub file: FileStore,
}

/// What `logout` did to one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleared {
    Removed,
    NothingThere,
    Unreachable(String),
}

impl Stores {
    pub fn for_config(config: &AuthConfig) -> Stores {
        Stores {
            kind: config.token_store,
            keyring: KeyringStore,
            file: FileStore::new(config.token_file.clone()),
        }
    }

    /// The store named by `held`.
    pub fn store(&self, held: Held) -> &dyn TokenStore {
        match held {
            Held::Keyring => &self.keyring,
            Held::File => &self.file,
        }
    }

    /// `--token-store keyring` must have a keyring that answers (78 otherwise).
    pub fn require_keyring(&self) -> Result<()> {
        if self.kind == TokenStoreKind::Keyring {
            self.keyring
                .try_load()
                .map_err(KeyringTrouble::into_config_error)?;
        }
        Ok(())
    }

    /// The stored token and the store holding it. `auto` and `keyring` look in both stores (a
    /// login whose keyring write failed went to the file) and take the newest; `file` only
    /// reads the file. A keyring that does not answer is skipped under `auto` (logged) and is
    /// exit 78 under `keyring`.
    pub fn load(&self) -> Result<Option<(StoredToken, Held)>> {
        let from_keyring = match self.kind {
            TokenStoreKind::File => None,
            TokenStoreKind::Keyring => self
                .keyring
                .try_load()
                .map_err(KeyringTrouble::into_config_error)?,
            TokenStoreKind::Auto => match self.keyring.try_load() {
                Ok(t) => t,
                Err(trouble) => {
                    tracing::debug!(
                        store = "file",
                        "{trouble}; using the file store {}",
                        self.file.path.display()
                    );
                    None
                }
            },
        };
        let from_file = self.file.load()?;
        Ok(match (from_keyring, from_file) {
            (Some(k), Some(f)) if f.saved_at > k.saved_at => Some((f, Held::File)),
            (Some(k), _) => Some((k, Held::Keyring)),
            (None, Some(f)) => Some((f, Held::File)),
            (None, None) => None,
        })
    }

    /// Store a fresh sign-in: the keyring under `auto`/`keyring` when it answers, else the
    /// file (logged), so a login is never lost. Returns the store used.
    pub fn save_login(&self, token: &StoredToken) -> Result<Held> {
        if self.kind != TokenStoreKind::File {
            match self.keyring.try_save(token) {
                Ok(()) => {
                    tracing::info!(store = "keyring", "token stored in the OS keyring");
                    return Ok(Held::Keyring);
                }
                Err(trouble) => tracing::warn!(
                    store = "file",
                    "{trouble}; storing the token in the file store {} instead",
                    self.file.path.display()
                ),
            }
        }
        self.file.save(token)?;
        tracing::info!(store = "file", path = %self.file.path.display(), "token stored in the file store");
        Ok(Held::File)
    }

    /// Remove the token from every store; what happened to each, keyring first.
    pub fn clear_all(&self) -> Result<Vec<(Held, Cleared)>> {
        let keyring = match self.keyring.try_clear() {
            Ok(true) => Cleared::Removed,
            Ok(false) => Cleared::NothingThere,
            Err(trouble) => Cleared::Unreachable(trouble.to_string()),
        };
        let file = if self.file.clear()? {
            Cleared::Removed
        } else {
            Cleared::NothingThere
        };
        Ok(vec![(Held::Keyring, keyring), (Held::File, file)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use oauth2::RefreshToken;

    fn token(rt: &str) -> StoredToken {
        StoredToken {
            refresh_token: RefreshToken::new(rt.into()),
            access_token: None,
            access_token_expires_at: None,
            account: Some("a@b.io".into()),
            tenant_id: "t".into(),
            client_id: "c".into(),
            saved_at: Utc::now(),
        }
    }

    #[test]
    fn file_store_round_trip_modes_and_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("state/hunter-pc/token.json"));
        assert!(store.load().unwrap().is_none());
        store.save(&token("one")).unwrap();
        store.save(&token("two")).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.refresh_token.secret(), "two");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store.path), 0o600);
        assert_eq!(mode(store.path.parent().unwrap()), 0o700);
        assert!(store.dir_is_private());
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(store.path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, vec!["token.json".to_string()]);
        assert!(store.clear().unwrap());
        assert!(!store.clear().unwrap());
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn a_corrupt_token_file_is_77_without_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("token.json"));
        fs::write(&store.path, "{\"refresh_token\": \"SECRET-PART").unwrap();
        let e = store.load().unwrap_err();
        assert_eq!(e.exit_code(), 77);
        assert!(e.message.contains("hunter-pc login"), "{}", e.message);
        assert!(!e.message.contains("SECRET"), "{}", e.message);
    }

    #[test]
    fn a_token_file_open_to_others_is_refused_with_the_fix_and_to_the_group_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("token.json"));
        store.save(&token("one")).unwrap();
        let chmod =
            |m: u32| fs::set_permissions(&store.path, fs::Permissions::from_mode(m)).unwrap();
        chmod(0o640);
        assert_eq!(store.load().unwrap().unwrap().refresh_token.secret(), "one");
        for m in [0o644, 0o604, 0o602] {
            chmod(m);
            let e = store.load().unwrap_err();
            assert_eq!(e.exit_code(), 77);
            let fix = format!("chmod 600 {}", store.path.display());
            assert!(e.message.contains(&fix), "{}", e.message);
            assert!(e.message.contains(&format!("{m:04o}")), "{}", e.message);
        }
        // Saving again writes a fresh 0600 file.
        store.save(&token("two")).unwrap();
        assert_eq!(
            fs::metadata(&store.path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(store.load().unwrap().is_some());
    }

    #[test]
    fn the_lock_is_exclusive_and_times_out_as_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("token.json"));
        let held = store.lock(Duration::from_secs(1)).unwrap();
        let e = store.lock(Duration::from_millis(100)).unwrap_err();
        assert_eq!(e.exit_code(), 75);
        drop(held);
        store.lock(Duration::from_millis(100)).unwrap();
    }
}
