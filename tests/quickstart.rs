//! The quick start runs green on a fresh machine (quality.md "Set-up on a fresh machine"):
//! `scripts/quickstart` in a private network namespace — only a loopback interface, nothing on
//! port 5432, `DATABASE_URL` unset — so it must start its own throwaway cluster and can reach
//! nothing but loopback. Its output (`--format csv`, parsed by header) lists every linked
//! example domain with its provider and segment.
//!
//! Needs root (CI runs as root) for `unshare --net`. Under CI a machine that cannot make the
//! namespace fails the tests; elsewhere they say loudly that they did not run.

#[path = "support/require.rs"]
mod require;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use hunter_pc::pipeline::extract::extract;
use serde_json::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The domains a sync of the examples links (incoming referrals with a domain), derived from
/// the example file itself.
fn linked_example_domains() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_root().join("examples/referrals.json"))
        .expect("read examples/referrals.json");
    let page: Value = serde_json::from_str(&text).expect("examples/referrals.json is JSON");
    page["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(extract)
        .filter(|e| {
            e.direction
                .as_deref()
                .is_none_or(|d| d.eq_ignore_ascii_case("incoming"))
        })
        .filter_map(|e| e.domain)
        .collect()
}

/// Provider and segment the quick start must show per linked example domain (the same as
/// `OUTCOMES` in `tests/examples.rs`, which checks them against the zones directly).
#[rustfmt::skip]
const SHOWN: &[(&str, &str, &str)] = &[
    ("anadolutekstil.com.tr",          "M365",    "Existing"),
    ("nordwind-versicherung.de",       "M365",    "Existing"),
    ("lyon-cosmetiques.fr",            "M365",    "Existing"),
    ("xn--boaziienerji-odb49e.com.tr", "M365",    "Existing"),
    ("praha-strojirny.cz",             "M365",    "Existing"),
    ("helvetia-uhren.ch",              "M365",    "Existing"),
    ("ege-lojistik.com.tr",            "Google",  "Migration"),
    ("marmarainsaat.com.tr",           "Hosting", "Migration"),
    ("karadenizgida.com.tr",           "Yandex",  "Migration"),
    ("ipekyolu.com.tr",                "Local",   "Migration"),
    ("sakaryaotomotiv.com.tr",         "Local",   "Cold"),
    ("vistula-logistics.pl",           "Google",  "Cold"),
    ("anka-medikal.com.tr",            "Local",   "Cold"),
    ("alpen-consulting.de",            "Zoho",    "Cold"),
    ("xn--rnek-4qa.com.tr",            "Local",   "Cold"),
    ("izmirmakina.com.tr",             "Local",   "Cold"),
    ("sofiaprint.bg",                  "Amazon",  "Skip"),
    ("wien-kaffee.at",                 "Hosting", "Skip"),
    ("trakya-tarim.com.tr",            "Local",   "Skip"),
    ("denizyatcilik.com.tr",           "Unknown", "Skip"),
    ("kapadokya-turizm.com.tr",        "Unknown", "Skip"),
];

/// The listed rows as (domain, provider, segment), from the CSV the quick start prints
/// (`list-referrals --format csv`: a header row of the JSON keys, empty cells for null).
fn listed_rows(csv_text: &str) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("a CSV header row").clone();
    let column = |key: &str| {
        headers
            .iter()
            .position(|h| h == key)
            .unwrap_or_else(|| panic!("no `{key}` column in {headers:?}"))
    };
    let (domain, provider, segment) = (column("domain"), column("provider"), column("segment"));
    reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            let cell = |i: usize| r.get(i).unwrap_or_default().to_string();
            (cell(domain), cell(provider), cell(segment))
        })
        .collect()
}

/// Run the quick start in a network namespace of its own; `Err` with the reason when this
/// machine cannot make one.
fn run_isolated() -> Result<std::process::Output, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("needs root for `unshare --net` (CI runs as root)".into());
    }
    let script = repo_root().join("scripts/quickstart");
    let mut cmd = Command::new("unshare");
    cmd.arg("--net")
        .arg("sh")
        .arg("-c")
        .arg("ip link set lo up && exec \"$0\" --format csv")
        .arg(&script)
        .current_dir(repo_root())
        .env_remove("DATABASE_URL");
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy();
        // Nothing of the caller's hunter-pc settings, and none of the variables `cargo test`
        // sets for a test: the script's own `cargo build` would see them as a changed build
        // environment (ring's build script watches CARGO_MANIFEST_DIR) and rebuild from scratch.
        let cargo_test_var =
            (name.starts_with("CARGO_") && name != "CARGO_HOME" && name != "CARGO_TARGET_DIR")
                || name == "OUT_DIR";
        if name.starts_with("HUNTER_PC_") || cargo_test_var {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run `unshare`: {e}"))?;
    // The script never started: no private network namespace here (unshare refused, or no
    // `ip` to bring loopback up).
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && !stderr.contains("quickstart:") {
        return Err(format!(
            "`unshare --net` / `ip link set lo up` failed here: {}",
            stderr.trim()
        ));
    }
    Ok(out)
}

/// One run of the quick start for every test of this file (`Err`: cannot run here, and why).
fn quickstart() -> Result<&'static Run, &'static str> {
    static RUN: OnceLock<Result<Run, String>> = OnceLock::new();
    RUN.get_or_init(|| {
        let out = run_isolated()?;
        Ok(Run {
            ok: out.status.success(),
            status: out.status.to_string(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    })
    .as_ref()
    .map_err(String::as_str)
}

struct Run {
    ok: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// The quick start's output, after checking it ran green; `None` when this machine cannot run
/// it (said loudly; under CI the test fails instead).
fn green_run(test: &str) -> Option<&'static Run> {
    let run = match quickstart() {
        Ok(run) => run,
        Err(why) => {
            require::require(false, test, why);
            return None;
        }
    };
    assert!(
        run.ok,
        "scripts/quickstart failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        run.status, run.stdout, run.stderr
    );
    Some(run)
}

#[test]
fn quickstart_runs_green_with_no_database_url_and_nothing_on_5432() {
    let Some(run) = green_run("quickstart_runs_green_with_no_database_url_and_nothing_on_5432")
    else {
        return;
    };
    assert!(
        run.stderr.contains("starting a throwaway cluster"),
        "with nothing on 5432 the quick start starts its own cluster:\n{}",
        run.stderr
    );

    // It cleaned up after itself: its working directory (cluster, config, DNS log) is gone.
    let work = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("quickstart: working in "))
        .and_then(|rest| rest.split(' ').next())
        .expect("the quick start names its working directory");
    assert!(
        !std::path::Path::new(work).exists(),
        "{work} was not removed"
    );

    // Every linked example domain is listed.
    let linked = linked_example_domains();
    let listed: BTreeSet<&str> = SHOWN.iter().map(|(d, _, _)| *d).collect();
    assert_eq!(
        linked.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        listed,
        "SHOWN lists exactly the linked example domains"
    );
    let rows = listed_rows(&run.stdout);
    assert_eq!(
        rows.len(),
        30,
        "30 referrals stored (32 in the file: one outgoing, one stale copy)"
    );
    let shown: BTreeSet<&str> = rows
        .iter()
        .map(|(d, _, _)| d.as_str())
        .filter(|d| !d.is_empty())
        .collect();
    assert_eq!(shown, listed, "the linked example domains, each listed");
    // The outgoing example is not ingested with the default direction.
    assert!(!run.stdout.contains("ostsee-software.de"), "{}", run.stdout);
}

/// Each linked example domain's rows show the provider and segment its zone data leads to:
/// `sync` scanned it over the loopback DNS server and scored it.
#[test]
fn quickstart_shows_every_domains_provider_and_segment() {
    let Some(run) = green_run("quickstart_shows_every_domains_provider_and_segment") else {
        return;
    };
    let rows = listed_rows(&run.stdout);
    let mut wrong = Vec::new();
    for (domain, provider, segment) in SHOWN {
        let of_domain: Vec<_> = rows.iter().filter(|(d, _, _)| d == domain).collect();
        if of_domain.is_empty() {
            wrong.push(format!("{domain}: not listed"));
        }
        for (_, got_provider, got_segment) in of_domain {
            if (got_provider.as_str(), got_segment.as_str()) != (*provider, *segment) {
                wrong.push(format!(
                    "{domain}: shows {got_provider:?} / {got_segment:?}, want {provider} / {segment}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "providers and segments not shown (are scans and scoring wired into sync?):\n{}\n{}",
        wrong.join("\n"),
        run.stdout
    );
}
