//! `rescore [--domain D] [--dry-run] [--json]`: settings → [`ops::rescore`], then the report
//! as JSON or a short table.

use crate::cli::RescoreArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::ops::rescore::{self, RescoreOptions, RescoreReport};
use crate::output::{emit, emit_json};

pub fn run(ctx: &Ctx, args: RescoreArgs) -> Result<()> {
    let opts = RescoreOptions {
        database_url: ctx.settings.database_url.clone(),
        domain: args
            .domain
            .as_deref()
            .map(super::given_domain)
            .transpose()?,
        score: ctx.settings.score(),
        dry_run: args.dry_run,
    };
    let report = rescore::run(&opts)?;
    if args.json {
        emit_json(&serde_json::to_value(&report)?)
    } else {
        emit(&table(&report))
    }
}

fn table(r: &RescoreReport) -> String {
    let mut out = String::new();
    if r.dry_run {
        out.push_str("dry run: nothing was written\n");
    }
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<16} {v}\n"));
    line("scored", r.scored.to_string());
    line("changed score", r.changed_score.to_string());
    line("changed segment", r.changed_segment.to_string());
    line("written", r.written.to_string());
    line("removed", r.removed.to_string());
    for (segment, n) in &r.segments {
        line(&format!("  {segment}"), n.to_string());
    }
    line("duration", format!("{} ms", r.duration_ms));
    out
}
