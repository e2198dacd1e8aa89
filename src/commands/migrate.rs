//! `migrate up|down|status|redo`: settings → [`crate::ops::migrate`] → what was done.

use serde_json::json;

use crate::cli::MigrateCommand;
use crate::commands::Ctx;
use crate::error::Result;
use crate::ops::migrate::Migrate;
use crate::output::{emit, emit_json};
use crate::store::migrations;

pub fn run(ctx: &Ctx, cmd: MigrateCommand) -> Result<()> {
    let db = ctx.settings.db();
    let mut m = Migrate::open(ctx.settings.require_database_url()?, &db)?;
    match cmd {
        MigrateCommand::Status(a) => {
            let state = &m.state;
            if a.json {
                emit_json(&json!({"applied": state.applied, "pending": state.pending}))?;
            } else {
                let mut out = String::new();
                for mig in migrations::known_migrations() {
                    let mark = if state.applied.contains(&mig.version) {
                        "applied"
                    } else {
                        "pending"
                    };
                    out.push_str(&format!("{mark:8} {}\n", mig.name));
                }
                for v in &state.unknown {
                    out.push_str(&format!(
                        "{:8} {v} (not known to this hunter-pc)\n",
                        "unknown"
                    ));
                }
                out.push_str(&format!("database shape: {}\n", m.layout.shape.as_str()));
                emit(&out)?;
            }
            state.require_known()
        }
        MigrateCommand::Up { to, dry_run } => {
            m.state.require_known()?;
            let to = to.as_deref().map(migrations::resolve_version).transpose()?;
            if dry_run {
                let (plan, create) = m.up_plan(to.as_deref());
                let mut out = plan_text("would apply", &plan.iter().collect::<Vec<_>>());
                if create {
                    out.push_str(&format!(
                        "would create Hunter's tables in schema {} (the database is empty)\n",
                        db.schemas.hunter
                    ));
                }
                emit(&out)?;
                return Ok(());
            }
            let (done, created) = m.up(to.as_deref())?;
            eprintln!("applied {} migration(s)", done.len());
            if created {
                eprintln!(
                    "created Hunter's tables in schema {} (the database was empty)",
                    db.schemas.hunter
                );
            }
            Ok(())
        }
        MigrateCommand::Down {
            steps,
            to,
            all,
            dry_run,
        } => {
            m.state.require_known()?;
            let to = to.as_deref().map(migrations::resolve_version).transpose()?;
            let plan = m.down_plan(steps, to.as_deref(), all);
            if dry_run {
                let (objects, blockers) = m.down_objects(&plan)?;
                let mut out = plan_text("would revert", &plan.iter().collect::<Vec<_>>());
                for o in &objects {
                    match o.rows {
                        Some(n) => out.push_str(&format!("would drop {} ({n} rows)\n", o.what)),
                        None => out.push_str(&format!("would drop {}\n", o.what)),
                    }
                }
                for b in &blockers {
                    out.push_str(&format!("would refuse: {b}\n"));
                }
                emit(&out)?;
                return Ok(());
            }
            m.down(&plan)?;
            eprintln!("reverted {} migration(s)", plan.len());
            Ok(())
        }
        MigrateCommand::Redo => {
            let done = m.redo()?;
            eprintln!("redid {}", done.join(", "));
            Ok(())
        }
    }
}

fn plan_text(verb: &str, versions: &[&String]) -> String {
    if versions.is_empty() {
        return format!("{verb}: nothing\n");
    }
    versions.iter().map(|v| format!("{verb} {v}\n")).collect()
}
