//! One API sync's surroundings for command tests: a migrated database, the Partner Center
//! stand-in, the sign-in stand-in and a token file written by `login --refresh-token-stdin`.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

use super::partner_center::StandIn;
use super::pg::TestDb;
use super::signin::{Answer, SignInStandIn};
use super::{assert_exit, hunter, hunter_std, stdout_json};

pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

/// Everything one test needs: a database, both stand-ins, and a signed-in token file.
pub struct World {
    pub home: tempfile::TempDir,
    pub db: TestDb,
    pub pc: StandIn,
    pub signin: SignInStandIn,
    pub token_file: PathBuf,
}

impl World {
    pub fn new(referrals: Vec<Value>) -> World {
        World::on(TestDb::migrated(), referrals)
    }

    /// A world on a database the caller prepared (e.g. a Hunter database after `migrate up`).
    pub fn on(db: TestDb, referrals: Vec<Value>) -> World {
        let home = tempfile::tempdir().unwrap();
        let pc = StandIn::start();
        pc.set_referrals(referrals);
        let signin = SignInStandIn::start();
        signin.default_answer(Answer::Success);
        let token_file = home.path().join("state/token.json");
        let w = World {
            home,
            db,
            pc,
            signin,
            token_file,
        };
        // Sign in the way a headless server is provisioned.
        let refresh = w.signin.issue_refresh_token();
        let out = w
            .cmd()
            .args(["login", "--refresh-token-stdin"])
            .write_stdin(refresh)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        w.pc.accept_token(&w.signin.latest_access_token().unwrap());
        w
    }

    /// The environment of every command: this world's database, stand-ins and token file,
    /// no request interval, no recent-run guard, pages of 10.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", self.db.url.clone()),
            ("HUNTER_PC_ENABLED", "true".into()),
            ("HUNTER_PC_CLIENT_ID", CLIENT_ID.into()),
            ("HUNTER_PC_AUTHORITY_URL", self.signin.url()),
            ("HUNTER_PC_API_URL", self.pc.url()),
            ("HUNTER_PC_TOKEN_STORE", "file".into()),
            (
                "HUNTER_PC_TOKEN_FILE",
                self.token_file.display().to_string(),
            ),
            ("HUNTER_PC_REQUEST_INTERVAL_MS", "0".into()),
            ("HUNTER_PC_MIN_SYNC_INTERVAL_SECS", "0".into()),
            ("HUNTER_PC_PAGE_SIZE", "10".into()),
        ]
    }

    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = hunter(self.home.path());
        c.envs(self.env());
        c
    }

    /// The same command as a `std::process::Command` (to spawn, kill or run several at once).
    pub fn cmd_std(&self) -> std::process::Command {
        let mut c = hunter_std(self.home.path());
        c.envs(self.env());
        c
    }

    pub fn sync(&self, extra: &[&str]) -> (std::process::Output, Value) {
        let out = self
            .cmd()
            .args(["sync", "--json", "--no-scan"])
            .args(extra)
            .output()
            .unwrap();
        let s = stdout_json(&out);
        (out, s)
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db.count(sql)
    }

    pub fn text(&self, sql: &str) -> Option<String> {
        self.db.text(sql)
    }

    /// Every data row with its `xmin` (changes on any write).
    pub fn snapshot(&self) -> String {
        ["companies", "raw_leads", "referrals"]
            .iter()
            .map(|t| {
                self.text(&format!(
                    "SELECT string_agg(xmin::text || {t}.*::text, E'\\n' ORDER BY id) AS t FROM {t}"
                ))
                .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn cursor(&self) -> Option<String> {
        self.text("SELECT to_char(cursor_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || ' ' || cursor_id AS t FROM sync_state WHERE stream = 'referrals:incoming'")
    }
}

/// What a sync leaves in the data tables, without ids and timestamps (which legitimately
/// differ between two databases): each referral with its content hash, domain, link status and
/// linked company's domain; raw leads per referral id; companies by domain, name and provider.
pub fn contents(db: &TestDb) -> String {
    let referrals = db.text("SELECT string_agg(concat_ws('|', r.referral_id, r.content_hash, r.domain, r.link_status, c.domain), \
         E'\\n' ORDER BY r.referral_id) AS t \
         FROM referrals r LEFT JOIN companies c ON c.id = r.company_id",
    );
    let leads = db.text(
        "SELECT string_agg(id || ' ' || n, E'\\n' ORDER BY id) AS t FROM \
         (SELECT payload->>'id' AS id, count(*) AS n FROM raw_leads GROUP BY 1) per_referral",
    );
    let companies = db.text("SELECT string_agg(concat_ws('|', domain, canonical_name, provider), E'\\n' ORDER BY domain) AS t \
         FROM companies",
    );
    format!(
        "referrals:\n{}\nraw_leads:\n{}\ncompanies:\n{}",
        referrals.unwrap_or_default(),
        leads.unwrap_or_default(),
        companies.unwrap_or_default()
    )
}
