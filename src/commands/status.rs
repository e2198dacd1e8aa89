//! `status`: one screen an operator reads first. Changes nothing; no network but the database.

use serde_json::{Value, json};

use crate::commands::Ctx;
use crate::error::{Error, Result};
use crate::output::emit;
use crate::store::{self, migrations, runs, state};

pub fn run(ctx: &Ctx, as_json: bool) -> Result<()> {
    let s = &ctx.settings;
    let auth = crate::auth::status(&s.auth());
    let mut report = json!({
        "config": s.redacted_json(),
        "database": {"reachable": false, "applied": [], "pending": []},
        "auth": auth,
        "enabled": s.enabled,
        "last_run": null,
        "cursor": null,
        "counts": {},
    });
    // Exit, first that applies: 78 config, 69 unreachable, 78 pending, 77 not signed in.
    let mut verdict: Option<Error> = None;
    match s.database_url.as_deref() {
        None => {
            verdict = Some(Error::config(
                "no database configured: set DATABASE_URL or pass --database-url URL",
            ))
        }
        Some(url) => match store::connect(url, &s.db()) {
            Err(e) => verdict = Some(e),
            Ok(mut conn) => {
                let state = migrations::migration_state(&mut conn)?;
                report["database"] = json!({
                    "reachable": true, "applied": state.applied, "pending": state.pending,
                });
                if let Err(e) = state.require_current() {
                    verdict = Some(e);
                } else {
                    report["last_run"] = runs::last_json(&mut conn)?;
                    report["cursor"] = state::row_json(&mut conn, &state::stream(s.direction))?;
                    let counts: serde_json::Map<String, Value> = store::row_counts(&mut conn)?
                        .into_iter()
                        .map(|(t, n)| (t.to_string(), json!(n)))
                        .collect();
                    report["counts"] = Value::Object(counts);
                }
            }
        },
    }
    if verdict.is_none() && s.enabled && !report["auth"]["refresh_token"].as_bool().unwrap_or(false)
    {
        verdict = Some(Error::no_perm(
            "the feature flag is on but nobody is signed in: run `hunter-pc login`",
        ));
    }
    if as_json {
        crate::output::emit_json(&report)?;
    } else {
        emit(&render_text(&report))?;
    }
    match verdict {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn render_text(r: &Value) -> String {
    let mut out = String::new();
    let db = &r["database"];
    out.push_str(&format!(
        "database     {}\n",
        if db["reachable"].as_bool() == Some(true) {
            "reachable"
        } else {
            "not reachable"
        }
    ));
    let list = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "none".into())
    };
    out.push_str(&format!("migrations   applied: {}\n", list(&db["applied"])));
    out.push_str(&format!("             pending: {}\n", list(&db["pending"])));
    out.push_str(&format!("enabled      {}\n", r["enabled"]));
    let a = &r["auth"];
    out.push_str(&format!(
        "sign-in      store {}, account {}, refresh token {}, access token expires {}\n",
        a["store"].as_str().unwrap_or("?"),
        a["account"].as_str().unwrap_or("none"),
        if a["refresh_token"].as_bool() == Some(true) {
            "present"
        } else {
            "absent"
        },
        a["access_token_expires_at"].as_str().unwrap_or("-"),
    ));
    match r["last_run"].as_object() {
        Some(run) => out.push_str(&format!(
            "last sync    #{} {} started {} finished {} fetched {} new {} updated {} failed {}\n",
            run["id"],
            run["status"].as_str().unwrap_or("?"),
            run["started_at"].as_str().unwrap_or("?"),
            run["finished_at"].as_str().unwrap_or("-"),
            run["fetched"],
            run["new"],
            run["updated"],
            run["failed"],
        )),
        None => out.push_str("last sync    none\n"),
    }
    match r["cursor"].as_object() {
        Some(c) => out.push_str(&format!(
            "cursor       {} {}\n",
            c["cursor_updated_at"].as_str().unwrap_or("-"),
            c["cursor_id"].as_str().unwrap_or("-")
        )),
        None => out.push_str("cursor       none\n"),
    }
    if let Some(counts) = r["counts"].as_object() {
        for (t, n) in counts {
            out.push_str(&format!("rows         {t:26} {n}\n"));
        }
    }
    out.push_str("config\n");
    if let Some(cfg) = r["config"].as_object() {
        for (k, v) in cfg {
            out.push_str(&format!(
                "  {k:24} {}\n",
                if v.is_string() {
                    v.as_str().unwrap_or("").to_string()
                } else {
                    v.to_string()
                }
            ));
        }
    }
    out
}
