//! `migrate up|down|status|redo`.

use serde_json::json;

use crate::cli::MigrateCommand;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::{emit, emit_json};
use crate::store::{self, migrations};

pub fn run(ctx: &Ctx, cmd: MigrateCommand) -> Result<()> {
    let mut conn = store::connect(ctx.settings.require_database_url()?, &ctx.settings.db())?;
    let state = migrations::migration_state(&mut conn)?;
    match cmd {
        MigrateCommand::Status(a) => {
            if a.json {
                emit_json(&json!({"applied": state.applied, "pending": state.pending}))?;
            } else {
                let mut out = String::new();
                for m in migrations::known_migrations() {
                    let mark = if state.applied.contains(&m.version) {
                        "applied"
                    } else {
                        "pending"
                    };
                    out.push_str(&format!("{mark:8} {}\n", m.name));
                }
                for v in &state.unknown {
                    out.push_str(&format!(
                        "{:8} {v} (not known to this hunter-pc)\n",
                        "unknown"
                    ));
                }
                emit(&out)?;
            }
            state.require_known()
        }
        MigrateCommand::Up { to, dry_run } => {
            state.require_known()?;
            let to = to.as_deref().map(migrations::resolve_version).transpose()?;
            if dry_run {
                let plan: Vec<&String> = state
                    .pending
                    .iter()
                    .filter(|v| to.as_ref().is_none_or(|t| *v <= t))
                    .collect();
                emit(&plan_text("would apply", &plan))?;
                return Ok(());
            }
            let done = migrations::migrate_up(&mut conn, to.as_deref())?;
            eprintln!("applied {} migration(s)", done.len());
            Ok(())
        }
        MigrateCommand::Down {
            steps,
            to,
            all,
            dry_run,
        } => {
            state.require_known()?;
            let to = to.as_deref().map(migrations::resolve_version).transpose()?;
            let plan = migrations::down_plan(&state, steps, to.as_deref(), all);
            if dry_run {
                emit(&plan_text("would revert", &plan.iter().collect::<Vec<_>>()))?;
                return Ok(());
            }
            migrations::migrate_down(&mut conn, &plan)?;
            eprintln!("reverted {} migration(s)", plan.len());
            Ok(())
        }
        MigrateCommand::Redo => {
            state.require_known()?;
            let plan = migrations::down_plan(&state, Some(1), None, false);
            if plan.is_empty() {
                return Err(crate::error::Error::failure(
                    "no migration is applied, so there is nothing to redo: run `hunter-pc migrate up`",
                ));
            }
            migrations::migrate_down(&mut conn, &plan)?;
            let done = migrations::migrate_up(&mut conn, plan.first().map(String::as_str))?;
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
