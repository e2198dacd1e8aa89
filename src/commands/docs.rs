//! `completions SHELL` and `man`: generated from the clap definition and the settings table,
//! so `--help`, the man page and `status --json` never drift apart.
//!
//! The man page is one page, `hunter-pc(1)`: every command with its options and examples,
//! then SETTINGS (from [`config::KEYS`]), ENVIRONMENT, FILES, DATABASE (the two schemas and the
//! database shapes, from [`SHAPES`]), EXIT STATUS (from [`EXIT_CODES`]) and EXAMPLES. It names
//! no other page. README's tables of settings, shapes and exit codes come from the same tables.

use clap::{Arg, CommandFactory};
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

use crate::cli::Cli;
use crate::config;
use crate::error::Result;
use crate::store::Shape;

/// One exit code: what it means and what an operator does about it.
pub struct ExitCode {
    pub code: u8,
    pub meaning: &'static str,
    pub action: &'static str,
}

/// Every exit code hunter-pc uses (the error kinds of `error.rs`, and 0).
pub const EXIT_CODES: &[ExitCode] = &[
    ExitCode {
        code: 0,
        meaning: "Success; also a sync disabled by HUNTER_PC_ENABLED, skipped as too recent, \
                  or with nothing new.",
        action: "Nothing.",
    },
    ExitCode {
        code: 1,
        meaning: "Failure, including a sync in which some referrals failed (the others are \
                  committed).",
        action: "Read the error: line; the run's errors (hunter-pc status --json, last_run) \
                 name each failed referral.",
    },
    ExitCode {
        code: 2,
        meaning: "Usage error: an unknown option, a bad argument.",
        action: "See hunter-pc COMMAND --help.",
    },
    ExitCode {
        code: 65,
        meaning: "The --from-file input is not readable as referrals.",
        action: "Fix the file at the line and column the error names.",
    },
    ExitCode {
        code: 66,
        meaning: "The --from-file input is missing or unreadable (also: nothing on stdin for \
                  login --refresh-token-stdin).",
        action: "Check the path and its permissions.",
    },
    ExitCode {
        code: 69,
        meaning: "Partner Center, the sign-in service or the database is unreachable after \
                  retries, or Partner Center answered with something unusable; also a database \
                  that stops answering (the database timeouts ran out).",
        action: "Usually transient: the next run retries and pages already read stay \
                 committed. Alert when it repeats.",
    },
    ExitCode {
        code: 75,
        meaning: "Temporary: another sync holds the lock, the run budget ran out, the run was \
                  interrupted (SIGTERM, SIGINT), or a lock or serialization conflict in the \
                  database. From status --check: no ok API sync within --max-age.",
        action: "Nothing: the next run continues from the cursor (the systemd unit counts it \
                 as success). From status --check: its error: line names the last run's \
                 outcome; look at the timer and the journal.",
    },
    ExitCode {
        code: 77,
        meaning: "Not signed in, the sign-in expired or was revoked, the account lacks the \
                  Referrals roles, or the token file is open to other users.",
        action: "Run hunter-pc login as the service user (or chmod 600 the token file, as the \
                 error says); for a 403 grant the Referrals Admin role.",
    },
    ExitCode {
        code: 78,
        meaning: "Configuration missing or invalid (also an unreadable config file), \
                  migrations pending, or a database whose tables are not a Hunter database \
                  hunter-pc knows (shape unknown, e.g. Hunter older than v1.1).",
        action: "Fix the setting or file the error names, run hunter-pc migrate up, or upgrade \
                 Hunter first.",
    },
];

/// One shape of the database (`status --json`: `database.shape`): what hunter-pc finds in
/// Hunter's schema, and what it does there.
pub struct ShapeDoc {
    pub shape: Shape,
    pub found: &'static str,
    pub does: &'static str,
}

/// Every database shape, in the order the man page and README list them.
pub const SHAPES: &[ShapeDoc] = &[
    ShapeDoc {
        shape: Shape::Hunter,
        found: "Hunter's newest line (branch feature/partner-center-phase1): the five tables, \
                and partner_center_referrals has engagement_id, link_status and direction.",
        does: "Works. partner_center_referrals gets every column hunter-pc derives, with \
               link_status and linked_lead_id.",
    },
    ShapeDoc {
        shape: Shape::HunterV11,
        found: "Hunter v1.1 (tag v1.1.0): the five tables, partner_center_referrals without the \
                newest line's columns.",
        does: "Works. partner_center_referrals gets the columns v1.1 has (no direction, \
               link_status, linked_lead_id, ...).",
    },
    ShapeDoc {
        shape: Shape::Empty,
        found: "None of the five tables.",
        does: "migrate up creates them as Hunter's newest models do, and the shape becomes \
               created; until then every command that needs the tables exits 78.",
    },
    ShapeDoc {
        shape: Shape::Created,
        found: "The five tables, created by hunter-pc's migrate up on an empty database (its \
                hunter_tables names them).",
        does: "Works as on Hunter's newest line. migrate down --all drops the five tables too, \
               but only when nothing else depends on them and they hold only rows hunter-pc \
               wrote.",
    },
    ShapeDoc {
        shape: Shape::Unknown,
        found: "Anything else: a Hunter older than v1.1 (no partner_center_referrals), a missing \
                table or column, a column of a type hunter-pc cannot write, or a NOT NULL column \
                without a default that hunter-pc does not write.",
        does: "Refused: every command that uses the database exits 78 naming each problem and \
               changes nothing. Upgrade Hunter first.",
    },
];

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hunter-pc", &mut buf);
    crate::output::emit(&String::from_utf8_lossy(&buf))?;
    Ok(())
}

pub fn man() -> Result<()> {
    crate::output::emit(&man_page())?;
    Ok(())
}

/// The whole man page as roff.
pub fn man_page() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let mut r = Roff::new();
    r.control(
        "TH",
        [
            "HUNTER-PC",
            "1",
            "",
            &format!("hunter-pc {}", env!("CARGO_PKG_VERSION")),
            "User Commands",
        ],
    );
    r.control("SH", ["NAME"]);
    r.text([roman(
        "hunter-pc - bring Microsoft Partner Center referrals into Hunter's database",
    )]);

    r.control("SH", ["SYNOPSIS"]);
    r.text([
        bold("hunter-pc"),
        roman(" ["),
        italic("global options"),
        roman("] "),
        italic("command"),
        roman(" ["),
        italic("options"),
        roman("]"),
    ]);

    r.control("SH", ["DESCRIPTION"]);
    for p in DESCRIPTION {
        paragraph(&mut r, p);
    }

    r.control("SH", ["GLOBAL OPTIONS"]);
    r.text([roman(
        "Every command takes these, before or after the command name. -h prints a summary \
         of a command, --help the full help; -V prints the version.",
    )]);
    let globals: Vec<&Arg> = cmd.get_arguments().filter(|a| is_global(a)).collect();
    options(&mut r, &globals);

    r.control("SH", ["COMMANDS"]);
    for sub in subcommands(&cmd) {
        command(&mut r, sub, "hunter-pc");
    }

    settings(&mut r);
    environment(&mut r);
    files(&mut r);
    database(&mut r);
    exit_status(&mut r);

    r.control("SH", ["EXAMPLES"]);
    for ex in WORKFLOWS {
        r.control("SS", [ex.0]);
        for line in ex.1 {
            example(&mut r, line);
        }
    }
    r.control("PP", []);
    r.text([roman(
        "Each command's own examples are under COMMANDS above, and in hunter-pc COMMAND --help.",
    )]);
    r.render()
}

/// The settings table of README.md ("Configuration"), from the same table as the man page; a
/// test keeps README in step.
pub fn settings_markdown() -> String {
    let mut out = String::from("| env | config key | default | meaning |\n|---|---|---|---|\n");
    for key in config::KEYS {
        let flag = key.flag.map(|f| format!(" (`{f}`)")).unwrap_or_default();
        out.push_str(&format!(
            "| `{}`{flag} | `{}` | {} | {} |\n",
            key.env, key.file_key, key.default, key.meaning
        ));
    }
    out
}

/// The table of database shapes in README.md ("Installing into Hunter's database"), from
/// [`SHAPES`].
pub fn shapes_markdown() -> String {
    let mut out = String::from(
        "| shape | what hunter-pc finds in Hunter's schema | what it does |\n|---|---|---|\n",
    );
    for s in SHAPES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            s.shape.as_str(),
            s.found,
            s.does
        ));
    }
    out
}

/// The exit-code table of README.md, from [`EXIT_CODES`].
pub fn exit_codes_markdown() -> String {
    let mut out = String::from("| code | meaning | what to do |\n|---|---|---|\n");
    for e in EXIT_CODES {
        out.push_str(&format!("| {} | {} | {} |\n", e.code, e.meaning, e.action));
    }
    out
}

fn paragraph(r: &mut Roff, text: &str) {
    r.control("PP", []);
    r.text([roman(text)]);
}

fn is_global(a: &Arg) -> bool {
    !a.is_hide_set() && (a.is_global_set() || a.get_help_heading() == Some("Global options"))
}

/// One command (and its subcommands): usage, description, its own options, examples.
fn command(r: &mut Roff, cmd: &clap::Command, parent: &str) {
    let name = format!("{parent} {}", cmd.get_name());
    if cmd.has_subcommands() {
        r.control("SS", [name.as_str()]);
        if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
            r.text([roman(about.to_string())]);
        }
        examples(r, cmd);
        for sub in subcommands(cmd) {
            command(r, sub, &name);
        }
        return;
    }
    let mut usage = vec![bold(name.clone())];
    let own: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !is_global(a) && !is_builtin(a))
        .collect();
    for a in &own {
        usage.push(roman(" "));
        usage.extend(usage_of(a));
    }
    r.control("SS", [name.as_str()]);
    r.text(usage);
    r.control("PP", []);
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        r.text([roman(about.to_string())]);
    }
    options(r, &own);
    examples(r, cmd);
}

/// The subcommands an operator types (not clap's `help`).
fn subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

fn is_builtin(a: &Arg) -> bool {
    matches!(a.get_id().as_str(), "help" | "version")
}

/// `[--to VERSION]`, `DOMAIN...`, `[-v]…` for a synopsis line.
fn usage_of(a: &Arg) -> Vec<Inline> {
    let mut out = Vec::new();
    let optional = !a.is_required_set();
    if optional {
        out.push(roman("["));
    }
    if a.is_positional() {
        out.push(italic(value_name(a)));
        if a.get_num_args().is_some_and(|n| n.max_values() > 1) {
            out.push(roman("..."));
        }
    } else {
        out.push(bold(flag_name(a)));
        if takes_value(a) {
            out.push(roman(" "));
            out.push(italic(value_name(a)));
        }
    }
    if optional {
        out.push(roman("]"));
    }
    out
}

fn flag_name(a: &Arg) -> String {
    match (a.get_short(), a.get_long()) {
        (_, Some(long)) => format!("--{long}"),
        (Some(short), None) => format!("-{short}"),
        (None, None) => a.get_id().to_string(),
    }
}

fn takes_value(a: &Arg) -> bool {
    a.get_action().takes_values()
}

/// A few possible values are shown as `a|b|c`, else the value name.
fn value_name(a: &Arg) -> String {
    let values = possible_values(a);
    if !values.is_empty() && values.len() <= 5 {
        return values.join("|");
    }
    match a.get_value_names() {
        Some(names) => names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        None => a.get_id().as_str().to_uppercase(),
    }
}

fn possible_values(a: &Arg) -> Vec<String> {
    a.get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect()
}

/// `.TP` entries: the option, then its help, its values and its environment variable.
fn options(r: &mut Roff, args: &[&Arg]) {
    for a in args {
        r.control("TP", []);
        let mut head = Vec::new();
        if a.is_positional() {
            head.push(italic(value_name(a)));
        } else {
            if let Some(short) = a.get_short() {
                head.push(bold(format!("-{short}")));
                if a.get_long().is_some() {
                    head.push(roman(", "));
                }
            }
            if let Some(long) = a.get_long() {
                head.push(bold(format!("--{long}")));
            }
            if takes_value(a) {
                head.push(roman(" "));
                head.push(italic(value_name(a)));
            }
        }
        r.text(head);
        let help = a
            .get_long_help()
            .or(a.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        let mut body = vec![roman(help)];
        let values = possible_values(a);
        if values.len() > 5 {
            body.push(roman(format!(" Values: {}.", values.join(", "))));
        }
        r.text(body);
    }
}

/// The command's `after_help` examples (`  command  # what it does`).
fn examples(r: &mut Roff, cmd: &clap::Command) {
    let Some(text) = cmd.get_after_help().map(|t| t.to_string()) else {
        return;
    };
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return;
    }
    r.control("PP", []);
    r.text([italic("Examples:")]);
    for line in lines {
        example(r, line.trim());
    }
}

/// One example: the command in bold on its own line, what it does indented below.
fn example(r: &mut Roff, line: &str) {
    let (command, comment) = match line.split_once("  # ") {
        Some((c, d)) => (c.trim(), Some(d.trim())),
        None => (line.trim(), None),
    };
    r.control("TP", ["4"]);
    r.text([bold(command)]);
    if let Some(d) = comment {
        r.text([roman(d)]);
    } else {
        r.text([roman("")]);
    }
}

fn settings(r: &mut Roff) {
    r.control("SH", ["SETTINGS"]);
    r.text([roman(
        "Every setting is an environment variable and a key in the TOML config file (the \
         variable's name in lower case without HUNTER_PC_: client_id = \"...\"); some are \
         also options. Precedence: option, then environment, then config file, then the \
         default. An empty variable counts as unset. Booleans take true/false/1/0/yes/no in \
         any case. A bad value, or an unknown key in the config file, is a configuration \
         error (exit 78) that names the variable, or the file and line; an unknown HUNTER_PC_ \
         variable is a warning that names the closest setting. hunter-pc status shows the \
         settings in effect, with secrets redacted, under the same names as the config keys.",
    )]);
    for key in config::KEYS {
        r.control("TP", []);
        let mut head = vec![bold(key.env), roman(", "), bold(key.file_key)];
        if let Some(flag) = key.flag {
            head.push(roman(", "));
            head.push(bold(flag));
        }
        r.text(head);
        r.text([roman(format!("{} Default: {}.", key.meaning, key.default))]);
    }
}

fn environment(r: &mut Roff) {
    r.control("SH", ["ENVIRONMENT"]);
    r.text([roman(
        "Besides the settings above (DATABASE_URL and every HUNTER_PC_ variable in SETTINGS):",
    )]);
    for (name, what) in ENVIRONMENT {
        r.control("TP", []);
        r.text([bold(*name)]);
        r.text([roman(*what)]);
    }
}

fn files(r: &mut Roff) {
    r.control("SH", ["FILES"]);
    for (name, what) in FILES {
        r.control("TP", []);
        r.text([italic(*name)]);
        r.text([roman(*what)]);
    }
}

fn database(r: &mut Roff) {
    r.control("SH", ["DATABASE"]);
    for p in DATABASE {
        paragraph(r, p);
    }
    r.control("PP", []);
    r.text([roman(
        "Every command that uses the database first reads the shape of Hunter's tables, by \
         tables, columns and types only (never by index or constraint names); hunter-pc status \
         and hunter-pc migrate status show it (database.shape in status --json):",
    )]);
    for s in SHAPES {
        r.control("TP", []);
        r.text([bold(s.shape.as_str())]);
        r.text([roman(format!("{} {}", s.found, s.does))]);
    }
    for p in ROLLBACK {
        paragraph(r, p);
    }
}

fn exit_status(r: &mut Roff) {
    r.control("SH", ["EXIT STATUS"]);
    r.text([roman(
        "Every non-zero exit ends stderr with one line, error: ..., that says what happened \
         and what to do next (clap's own usage errors keep clap's format). The codes follow \
         sysexits.h:",
    )]);
    for e in EXIT_CODES {
        r.control("TP", []);
        r.text([bold(e.code.to_string())]);
        r.text([roman(e.meaning)]);
        r.text([
            Inline::LineBreak,
            italic("What to do:"),
            roman(" "),
            roman(e.action),
        ]);
    }
}

const DESCRIPTION: &[&str] = &[
    "hunter-pc imports Microsoft Partner Center referrals (co-sell opportunities, marketplace \
     and Solution Provider leads) into Hunter's Postgres database. It signs in once as a \
     person with the OAuth device-code flow and keeps the refresh token; a systemd timer then \
     runs hunter-pc sync every 10 minutes. Each sync reads the new and changed referrals, works \
     out each one's category and customer domain, records it, upserts the company, scans the \
     domain's DNS mail records (MX, SPF, DMARC, DKIM) to tell its mail provider, and scores \
     the lead. It keeps its own record in a schema of its own and writes the leads into \
     Hunter's tables, where Hunter's lead list shows them (see DATABASE).",
    "stdout carries data only (tables, JSON, CSV); logs, progress bars and messages go to \
     stderr. Logs are text on a terminal and JSON lines otherwise (the journal, pipes).",
    "Set-up on a server: install with scripts/install from the source tree, put the database \
     URL, the app registration's client id and the tenant id into /etc/hunter-pc/config.toml, \
     run hunter-pc migrate up, sign in as the service user, and enable hunter-pc-sync.timer \
     (see EXAMPLES).",
];

/// The DATABASE section before the shapes.
const DATABASE: &[&str] = &[
    "hunter-pc works in Hunter's Postgres database (DATABASE_URL) and uses two schemas there. \
     Its own, HUNTER_PC_SCHEMA (default hunter_pc), holds its complete record and nothing \
     else: referrals (every referral, full length), scans (its DNS scan of each company \
     domain), scores (its score of each company domain with a referral), sync_runs, \
     sync_state (the cursor), hunter_tables (the tables of Hunter's it created, if any) and \
     the migrations' bookkeeping. migrate up creates this schema and migrate down --all drops \
     it; migrations run with it as their only search_path.",
    "Hunter's, HUNTER_PC_HUNTER_SCHEMA (default public), holds Hunter's five tables: \
     companies, raw_leads, partner_center_referrals, domain_signals and lead_scores. In the \
     same transaction as its own rows, hunter-pc writes into them what Hunter's lead list \
     reads, for the companies of Partner Center referrals only: the company (canonical_name \
     when it creates one, provider, updated_at; no other column of Hunter's), a raw lead per \
     new or changed referral, the referral, one domain_signals row per domain it scanned and \
     one lead_scores row per domain it scored. Ids there are Hunter's integers; text is cut \
     to Hunter's column lengths with a warning (an email or website that does not fit is \
     written as NULL; a referral id that does not fit skips the referral as invalid). A \
     domain whose newest domain_signals row is Hunter's own completed scan is not scanned \
     again (unless sync --rescan, or the scan is older than HUNTER_PC_RESCAN_AFTER_DAYS) and \
     is scored from Hunter's columns. hunter-pc never creates, alters or drops anything in \
     Hunter's schema, except the five tables it creates on an empty database, and never \
     writes a row of a company without a referral.",
];

/// The DATABASE section after the shapes.
const ROLLBACK: &[&str] = &[
    "migrate down --all drops hunter-pc's schema and nothing else: Hunter's tables and every \
     row in them, including the rows hunter-pc wrote, stay (they are Hunter's leads now). On \
     a created database it drops the five tables as well, unless something else depends on \
     them (Hunter's leads_ready view, a foreign key to companies) or they hold rows \
     hunter-pc did not write: then it exits 1 naming what stops it and drops nothing. migrate \
     down --dry-run lists what would be dropped, with row counts. migrate up, down and redo \
     hold the sync's lock: while a sync runs they exit 75 and change nothing.",
];

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "HUNTER_PC_CONFIG",
        "The config file to read instead of the default ones (as --config); it must exist.",
    ),
    (
        "RUST_LOG",
        "Log filter in tracing's EnvFilter syntax (hunter_pc=debug); wins over -v and -q.",
    ),
    (
        "STATE_DIRECTORY",
        "Set by systemd (StateDirectory=hunter-pc): the default token file is token.json in it.",
    ),
    (
        "XDG_CONFIG_HOME",
        "The per-user config file is $XDG_CONFIG_HOME/hunter-pc/config.toml (default \
         ~/.config).",
    ),
    (
        "XDG_STATE_HOME",
        "Without STATE_DIRECTORY, the token file is $XDG_STATE_HOME/hunter-pc/token.json \
         (default ~/.local/state).",
    ),
    (
        "HUNTER_PC_NOTIFY_COMMAND",
        "Read by hunter-pc-notify@.service from /etc/hunter-pc/notify.env, not by hunter-pc: \
         a shell command run with the failed unit's name as $1.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "/etc/hunter-pc/config.toml",
        "System config file (TOML, keys as in SETTINGS), read when it exists. Install it \
         root:hunter-pc mode 0640 in a directory of the same owner and mode 0750, so the service \
         user can read it and others cannot. A file that exists but cannot be read is an \
         error (exit 78) naming it; one open to every user is warned about.",
    ),
    (
        "~/.config/hunter-pc/config.toml",
        "Per-user config file ($XDG_CONFIG_HOME), read when the system one does not exist.",
    ),
    (
        "/etc/hunter-pc/env",
        "Environment file of hunter-pc-sync.service (required: the unit fails without it), \
         root:hunter-pc mode 0640. As scripts/install writes it, it only sets \
         HUNTER_PC_CONFIG=/etc/hunter-pc/config.toml, so a missing or unreadable config file \
         fails the unit (exit 78) instead of syncing nothing; a variable set here wins over the \
         config file for the timer's runs only.",
    ),
    (
        "/var/lib/hunter-pc/token.json",
        "The token file of the service user (the unit's StateDirectory=, mode 0700, owned by \
         hunter-pc). The file is 0600; group-readable is warned about, readable by others is \
         refused (exit 77). token.json.lock next to it serialises refreshes.",
    ),
    (
        "~/.local/state/hunter-pc/token.json",
        "The token file of a user without STATE_DIRECTORY ($XDG_STATE_HOME).",
    ),
    (
        "/etc/systemd/system/hunter-pc-sync.service",
        "Runs one sync as the hunter-pc user, sandboxed; exit 75 counts as success.",
    ),
    (
        "/etc/systemd/system/hunter-pc-sync.timer",
        "Starts hunter-pc-sync.service every 10 minutes.",
    ),
    (
        "/etc/systemd/system/hunter-pc-notify@.service",
        "Optional OnFailure= handler: logs the failed unit's status and runs \
         HUNTER_PC_NOTIFY_COMMAND from /etc/hunter-pc/notify.env.",
    ),
    (
        "/usr/lib/sysusers.d/hunter-pc.conf",
        "Creates the hunter-pc system user and group (systemd-sysusers).",
    ),
    ("/usr/local/share/man/man1/hunter-pc.1", "This page."),
];

const WORKFLOWS: &[(&str, &[&str])] = &[
    (
        "Install on a server (from the source tree, as root)",
        &[
            "cargo build --release --locked  # needs libpq-dev and pkg-config",
            "scripts/install  # binary, this page, completion, units, service user, /etc/hunter-pc",
            "editor /etc/hunter-pc/config.toml  # database_url, client_id, tenant_id, enabled = true",
            "sudo -u hunter-pc hunter-pc migrate status  # database shape: hunter, hunter-v1.1 or empty",
            "sudo -u hunter-pc hunter-pc migrate up",
            "sudo -u hunter-pc hunter-pc login  # device code: open the URL on any device",
            "systemctl enable --now hunter-pc-sync.timer",
        ],
    ),
    (
        "Check on it",
        &[
            "sudo -u hunter-pc hunter-pc status  # settings, database, sign-in, the runs",
            "sudo -u hunter-pc hunter-pc status --check --max-age 30m  # for monitors: 0 = healthy",
            "journalctl -u hunter-pc-sync.service --since today  # the runs' JSON logs",
        ],
    ),
    (
        "Remove hunter-pc from Hunter's database (Hunter's tables and rows stay)",
        &[
            "systemctl disable --now hunter-pc-sync.timer",
            "sudo -u hunter-pc hunter-pc migrate down --all --dry-run  # what would go, with row counts",
            "sudo -u hunter-pc hunter-pc migrate down --all  # drops hunter-pc's schema only",
        ],
    ),
    (
        "Try it without credentials",
        &[
            "export DATABASE_URL=postgres://localhost/scratch  # an empty database",
            "hunter-pc migrate up  # hunter-pc's schema, and Hunter's five tables (shape created)",
            "hunter-pc sync --from-file referrals.json  # no sign-in needed",
            "hunter-pc list-referrals",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_exit_code_documented() {
        use crate::error::Kind;
        for kind in [
            Kind::Failure,
            Kind::Usage,
            Kind::DataErr,
            Kind::NoInput,
            Kind::Unavailable,
            Kind::TempFail,
            Kind::NoPerm,
            Kind::Config,
        ] {
            let code = kind.exit_code();
            assert!(
                EXIT_CODES.iter().any(|e| i32::from(e.code) == code),
                "{code}"
            );
        }
    }

    #[test]
    fn readme_tables_are_the_generated_ones() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        for table in [
            settings_markdown(),
            shapes_markdown(),
            exit_codes_markdown(),
        ] {
            assert!(
                readme.contains(&table),
                "README.md must contain this table verbatim:\n{table}"
            );
        }
    }

    #[test]
    fn the_page_has_every_setting_and_command_and_no_other_page() {
        let page = man_page();
        for key in config::KEYS {
            assert!(page.contains(&key.env.replace('-', "\\-")), "{}", key.env);
        }
        for sub in [
            "hunter\\-pc sync",
            "hunter\\-pc migrate up",
            "hunter\\-pc list\\-referrals",
        ] {
            assert!(page.contains(sub), "{sub}");
        }
        assert!(!page.contains("hunter\\-pc\\-sync(1)"));
        let at = |section: &str| page.find(section).unwrap_or_else(|| panic!("{section}"));
        assert!(at(".SH FILES") < at(".SH DATABASE"));
        assert!(at(".SH DATABASE") < at(".SH \"EXIT STATUS\""));
        for s in SHAPES {
            assert!(
                page.contains(&format!("\\fB{}\\fR", s.shape.as_str().replace('-', "\\-"))),
                "{}",
                s.shape.as_str()
            );
        }
    }

    #[test]
    fn every_shape_is_documented_once() {
        for shape in [
            Shape::Hunter,
            Shape::HunterV11,
            Shape::Empty,
            Shape::Created,
            Shape::Unknown,
        ] {
            // A new shape fails to compile here: add it to this list and to SHAPES.
            match shape {
                Shape::Hunter
                | Shape::HunterV11
                | Shape::Empty
                | Shape::Created
                | Shape::Unknown => {}
            }
            assert_eq!(
                SHAPES.iter().filter(|d| d.shape == shape).count(),
                1,
                "{}",
                shape.as_str()
            );
        }
        assert_eq!(SHAPES.len(), 5);
    }
}
