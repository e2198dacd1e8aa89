//! What an operator meets first, through the binary: the man page, settings hygiene (an
//! unreadable config file, a misspelled variable, token file modes) and `scripts/install`
//! against a temporary root, then `status` as the service user it created.
//!
//! Some rows need to act as another user: root passes every permission check, so as root the
//! binary runs under `setpriv` with another uid. Not as root, the install test cannot create
//! files owned by a service user; it is skipped with a message, and fails under `CI=1`.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};

use support::pg::{TestDb, repo_root};
use support::signin::{Answer, SignInStandIn};
use support::{assert_exit, hunter, last_stderr_line, stdout_json};

/// The uid and gid of a user that owns nothing here (`nobody` on Debian).
const NOBODY: (u32, u32) = (65534, 65534);

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn have(cmd: &str) -> bool {
    StdCommand::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A tool a test needs: missing, the test fails (it is a prerequisite in README.md).
#[track_caller]
fn require(cmd: &str, package: &str) {
    assert!(
        have(cmd),
        "`{cmd}` is missing: install {package} (README.md, Prerequisites)"
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("hunter-pc")
}

/// `program` run as `uid:gid` with no supplementary groups and a clean environment.
fn as_user(uid: u32, gid: u32, program: &Path, home: &Path) -> StdCommand {
    let mut c = StdCommand::new("setpriv");
    c.arg(format!("--reuid={uid}"))
        .arg(format!("--regid={gid}"))
        .arg("--clear-groups")
        .arg("--")
        .arg(program)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("HUNTER_PC_LOG_FORMAT", "json");
    c
}

/// A directory every user may enter (tempdirs are 0700).
fn open_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

// ---------------------------------------------------------------------------------------------
// The man page

/// The page as `man` renders it, with hyphenation undone and whitespace collapsed.
fn rendered_page(manpath: &Path) -> String {
    let out = StdCommand::new("man")
        .arg("-M")
        .arg(manpath)
        .arg("hunter-pc")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "250")
        .output()
        .unwrap();
    assert!(out.status.success(), "man: {}", stderr(&out));
    // Bold and underline come as overstrikes (`x\bx`, `_\bx`) when the pager is cat.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&out.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    // Words hyphenated at a line end come back whole; U+2010 is groff's hyphen.
    let mut joined = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_end();
        if let Some(head) = trimmed
            .strip_suffix('\u{2010}')
            .filter(|_| lines.peek().is_some())
        {
            joined.push_str(head);
            joined.push_str(lines.next().unwrap().trim_start());
            joined.push('\n');
        } else {
            joined.push_str(trimmed);
            joined.push('\n');
        }
    }
    joined.replace(['\u{2010}', '\u{2212}'], "-")
}

/// The text of one `SECTION` (a line in capitals at the left margin) up to the next one.
fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!("\n{name}\n"))
        .unwrap_or_else(|| panic!("no {name} section in:\n{page}"))
        + name.len()
        + 2;
    let rest = &page[start..];
    let end = rest
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| rest[i..].starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn man_page_lists_every_setting_of_status_every_exit_code_and_examples_and_names_no_missing_page() {
    require("man", "man-db");
    let home = tempfile::tempdir().unwrap();
    let out = hunter(home.path()).arg("man").output().unwrap();
    assert_exit(&out, 0);
    let manpath = home.path().join("man");
    std::fs::create_dir_all(manpath.join("man1")).unwrap();
    std::fs::write(manpath.join("man1/hunter-pc.1"), &out.stdout).unwrap();
    let page = rendered_page(&manpath);
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");

    // Every key of `status --json`'s config is in SETTINGS with its variable and default.
    let out = hunter(home.path())
        .args(["status", "--json"])
        .output()
        .unwrap();
    let status = stdout_json(&out);
    let config = status["config"].as_object().expect("config object");
    let settings = words(section(&page, "SETTINGS"));
    let env_of = |key: &str| {
        if key == "database_url" {
            "DATABASE_URL".to_string()
        } else {
            format!("HUNTER_PC_{}", key.to_uppercase())
        }
    };
    // Where each setting's entry starts ("ENV, key"), in page order.
    let mut starts: Vec<usize> = Vec::new();
    for key in config.keys().filter(|k| *k != "config_file") {
        let head = format!("{}, {key}", env_of(key));
        let at = settings
            .find(&head)
            .unwrap_or_else(|| panic!("SETTINGS lacks {head}:\n{settings}"));
        starts.push(at);
    }
    starts.sort();
    let mut checked = 0;
    for (key, value) in config {
        if key == "config_file" {
            continue; // which file was read, not a setting
        }
        let at = settings.find(&format!("{}, {key}", env_of(key))).unwrap();
        let end = starts
            .iter()
            .find(|&&s| s > at)
            .copied()
            .unwrap_or(settings.len());
        let entry = &settings[at..end];
        // A plain default (a number, a word, a URL) is written after "Default:".
        let shown = match value {
            serde_json::Value::Null => "none".to_string(),
            serde_json::Value::String(s) => s.trim_end_matches('/').to_string(),
            other => other.to_string(),
        };
        if !matches!(key.as_str(), "token_file" | "dns_servers" | "log_format") {
            assert!(
                entry.contains(&format!("Default: {shown}")),
                "{key}: default {shown} not in {entry:?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 33, "only {checked} settings in status --json");

    // Every exit code of the contract, each with what to do.
    let exits = section(&page, "EXIT STATUS");
    for code in [0, 1, 2, 65, 66, 69, 75, 77, 78] {
        let entry = exits
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{code} ")))
            .unwrap_or_else(|| panic!("exit code {code} missing from:\n{exits}"));
        let rest: String = exits.lines().skip(entry).take(6).collect();
        assert!(rest.contains("What to do:"), "{code}: {rest}");
    }

    // Examples: the workflows, and each command's own.
    let examples = section(&page, "EXAMPLES");
    assert!(examples.contains("hunter-pc migrate up"), "{examples}");
    assert!(examples.contains("systemctl enable --now hunter-pc-sync.timer"));
    let commands = section(&page, "COMMANDS");
    for c in [
        "hunter-pc sync --force",
        "hunter-pc list-referrals --type co-sell",
    ] {
        assert!(commands.contains(c), "{c} not among the examples");
    }
    for s in ["FILES", "ENVIRONMENT", "GLOBAL OPTIONS"] {
        assert!(!section(&page, s).trim().is_empty(), "{s}");
    }
    assert!(section(&page, "FILES").contains("/etc/hunter-pc/config.toml"));

    // Every page it names exists: here (hunter-pc(1)) or on this system.
    let named: Vec<(String, String)> = page
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter_map(|w| {
            let w = w.trim_end_matches(['.', ';', ':']);
            let (name, rest) = w.split_once('(')?;
            let section = rest.strip_suffix(')')?;
            (!name.is_empty()
                && section.len() == 1
                && section.chars().all(|c| c.is_ascii_digit())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)))
            .then(|| (name.to_string(), section.to_string()))
        })
        .collect();
    assert!(
        !named.iter().any(|(n, _)| n.starts_with("hunter-pc-")),
        "{named:?}"
    );
    for (name, sect) in &named {
        let found = StdCommand::new("man")
            .arg("-M")
            .arg(format!(
                "{}:{}",
                manpath.display(),
                "/usr/share/man:/usr/local/share/man"
            ))
            .args(["-w", sect, name])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "the page names {name}({sect}), which is missing"
        );
    }
}

#[test]
fn help_shows_global_options_under_their_own_heading_and_examples() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["sync", "--help"][..],
        &["--help"],
        &["list-referrals", "-h"],
    ] {
        let out = hunter(home.path()).args(args).output().unwrap();
        assert_exit(&out, 0);
        let text = String::from_utf8_lossy(&out.stdout);
        let globals = text
            .find("Global options:")
            .expect("a Global options heading");
        let own = text.find("Options:").expect("an Options heading");
        assert!(own < globals, "{text}");
        // --database-url is listed once, under the global heading.
        assert_eq!(text.matches("--database-url").count(), 1, "{text}");
        assert!(text[globals..].contains("--database-url"), "{text}");
        assert!(text.contains("Examples:\n  hunter-pc "), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Settings hygiene

/// `hunter-pc status` as a user the file's modes apply to: `nobody` under root, else us.
fn status_as_other(home: &Path, env: &[(&str, &Path)]) -> Output {
    let mut c = if is_root() {
        require("setpriv", "util-linux");
        as_user(NOBODY.0, NOBODY.1, &bin(), home)
    } else {
        let mut c = StdCommand::new(bin());
        c.env_clear()
            .env("HOME", home)
            .env("HUNTER_PC_LOG_FORMAT", "json");
        c
    };
    for (k, v) in env {
        c.env(k, v);
    }
    c.arg("status").output().unwrap()
}

#[test]
fn a_config_file_that_exists_but_cannot_be_read_is_78_naming_it() {
    let dir = open_dir();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();

    // The file itself is unreadable (HUNTER_PC_CONFIG names it).
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "enabled = true\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = status_as_other(&home, &[("HUNTER_PC_CONFIG", &file)]);
    assert_exit(&out, 78);
    let line = last_stderr_line(&out);
    assert!(
        line.contains(&format!("cannot read config file {}", file.display()))
            && line.contains("permission denied"),
        "{line}"
    );

    // A default location behind a directory the user may not enter: not silently skipped.
    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("hunter-pc")).unwrap();
    std::fs::write(xdg.join("hunter-pc/config.toml"), "enabled = true\n").unwrap();
    std::fs::set_permissions(
        xdg.join("hunter-pc"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let out = status_as_other(&home, &[("XDG_CONFIG_HOME", &xdg)]);
    std::fs::set_permissions(
        xdg.join("hunter-pc"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    assert_exit(&out, 78);
    let line = last_stderr_line(&out);
    let path = xdg.join("hunter-pc/config.toml");
    assert!(
        line.contains(&format!("cannot read config file {}", path.display())),
        "{line}"
    );
}

#[test]
fn an_unknown_hunter_pc_variable_is_one_warning_naming_the_closest_setting() {
    let home = tempfile::tempdir().unwrap();
    let out = hunter(home.path())
        .env("HUNTER_PC_ENABLD", "true")
        .env("HUNTER_PC_PAGESIZE", "50")
        .args(["status", "--json"])
        .output()
        .unwrap();
    let err = stderr(&out);
    let warnings: Vec<serde_json::Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["level"] == "WARN")
        .collect();
    let about = |name: &str| {
        warnings
            .iter()
            .filter(|w| w["message"].as_str().unwrap_or("").contains(name))
            .count()
    };
    assert_eq!(about("HUNTER_PC_ENABLD "), 1, "{err}");
    assert_eq!(about("HUNTER_PC_PAGESIZE "), 1, "{err}");
    let enabld = warnings
        .iter()
        .find(|w| w["message"].as_str().unwrap().contains("HUNTER_PC_ENABLD"))
        .unwrap();
    assert!(
        enabld["message"]
            .as_str()
            .unwrap()
            .contains("closest setting is HUNTER_PC_ENABLED"),
        "{enabld}"
    );
    // The misspelled flag did not turn syncing on; a known variable gives no warning.
    assert_eq!(stdout_json(&out)["config"]["enabled"], false);
    let out = hunter(home.path())
        .env("HUNTER_PC_ENABLED", "true")
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("unknown environment variable"));
}

/// A token file as `login` writes it (no secret of any real service).
fn write_token(path: &Path, mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::set_permissions(
        path.parent().unwrap(),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    std::fs::write(
        path,
        r#"{"refresh_token":"RT-test-not-a-secret","account":"op@example.com","tenant_id":"t","client_id":"c","saved_at":"2026-12-01T00:00:00Z"}"#,
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn token_file_modes_group_readable_warns_readable_by_others_is_refused_with_the_fix() {
    let db = TestDb::migrated();
    let home = tempfile::tempdir().unwrap();
    let token = home.path().join("state/token.json");
    let run = |args: &[&str]| {
        hunter(home.path())
            .env("DATABASE_URL", &db.url)
            .env("HUNTER_PC_ENABLED", "true")
            .env("HUNTER_PC_CLIENT_ID", "c")
            .env("HUNTER_PC_TENANT_ID", "t")
            .env("HUNTER_PC_TOKEN_STORE", "file")
            .env("HUNTER_PC_TOKEN_FILE", &token)
            // Nothing listens there; no row below may reach the network.
            .env("HUNTER_PC_AUTHORITY_URL", "http://127.0.0.1:9")
            .env("HUNTER_PC_API_URL", "http://127.0.0.1:9")
            .env("HUNTER_PC_MAX_RETRIES", "0")
            .args(args)
            .output()
            .unwrap()
    };
    let fix = format!("chmod 600 {}", token.display());

    write_token(&token, 0o600);
    let out = run(&["status", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(stdout_json(&out)["auth"]["refresh_token"], true);
    assert!(!stderr(&out).contains("chmod"), "{}", stderr(&out));

    write_token(&token, 0o640);
    let out = run(&["status", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(stdout_json(&out)["auth"]["refresh_token"], true);
    let err = stderr(&out);
    assert!(
        err.contains("open to its group (mode 0640)") && err.contains(&fix),
        "{err}"
    );

    write_token(&token, 0o644);
    let out = run(&["status", "--json"]);
    assert_exit(&out, 77);
    assert_eq!(stdout_json(&out)["auth"]["refresh_token"], false);
    assert!(stderr(&out).contains(&fix), "{}", stderr(&out));
    let out = run(&["sync"]);
    assert_exit(&out, 77);
    let line = last_stderr_line(&out);
    assert!(
        line.contains("open to every user (mode 0644)") && line.contains(&fix),
        "{line}"
    );
    assert!(!stderr(&out).contains("RT-test-not-a-secret"));
}

// ---------------------------------------------------------------------------------------------
// scripts/install

fn mode_of(p: &Path) -> (u32, u32, u32) {
    let m = std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.uid(), m.gid(), m.permissions().mode() & 0o7777)
}

/// The uid and gid of `name` in `root`/etc/passwd.
fn ids_in(root: &Path, name: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {passwd}"));
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().unwrap(), f[3].parse().unwrap())
}

#[test]
fn install_script_into_a_temporary_root_then_status_and_sign_in_as_the_service_user() {
    if !is_root() {
        assert!(
            !ci(),
            "the install test must run as root under CI=1 (it creates files owned by the \
             service user)"
        );
        eprintln!("skipped: scripts/install needs root (run the suite as root, as CI does)");
        return;
    }
    require("setpriv", "util-linux");
    require("systemd-sysusers", "systemd");
    require("man", "man-db");
    let tmp = open_dir();
    let root = tmp.path();
    let install = |root: &Path| {
        StdCommand::new(repo_root().join("scripts/install"))
            .arg("--root")
            .arg(root)
            .arg("--bin")
            .arg(bin())
            .output()
            .unwrap()
    };
    let out = install(root);
    assert!(out.status.success(), "scripts/install: {}", stderr(&out));

    // What README.md promises, with these owners and modes.
    let (uid, gid) = ids_in(root, "hunter-pc");
    assert_ne!(uid, 0);
    assert_eq!(mode_of(&root.join("etc/hunter-pc")), (0, gid, 0o750));
    assert_eq!(
        mode_of(&root.join("etc/hunter-pc/config.toml")),
        (0, gid, 0o640)
    );
    assert_eq!(mode_of(&root.join("etc/hunter-pc/env")), (0, gid, 0o640));
    assert_eq!(mode_of(&root.join("var/lib/hunter-pc")), (uid, gid, 0o700));
    assert_eq!(mode_of(&root.join("usr/local/bin/hunter-pc")).2, 0o755);
    for f in [
        "usr/lib/sysusers.d/hunter-pc.conf",
        "usr/local/share/bash-completion/completions/hunter-pc",
        "etc/systemd/system/hunter-pc-sync.service",
        "etc/systemd/system/hunter-pc-sync.timer",
        "etc/systemd/system/hunter-pc-notify@.service",
    ] {
        assert_eq!(mode_of(&root.join(f)).2, 0o644, "{f}");
    }
    let man = StdCommand::new("man")
        .arg("-M")
        .arg(root.join("usr/local/share/man"))
        .args(["-w", "hunter-pc"])
        .output()
        .unwrap();
    assert!(man.status.success(), "man -w hunter-pc: {}", stderr(&man));

    // Fill in the settings as an operator would (paths moved into the temporary root), as
    // root, keeping the files' owners and modes.
    let db = TestDb::empty();
    let standin = SignInStandIn::start();
    standin.default_answer(Answer::Success);
    let config = root.join("etc/hunter-pc/config.toml");
    let template = std::fs::read_to_string(&config).unwrap();
    let token_file = root.join("var/lib/hunter-pc/token.json");
    let filled = template
        .replace(
            "#database_url = \"postgres://hunter@db.example:5432/hunter\"",
            &format!("database_url = \"{}\"", db.url),
        )
        .replace(
            "#client_id = \"<application (client) id of the app registration>\"",
            "client_id = \"00000000-0000-0000-0000-0000000000c1\"",
        )
        .replace(
            "#tenant_id = \"<directory (tenant) id>\"",
            "tenant_id = \"00000000-0000-0000-0000-0000000000a1\"",
        )
        .replace("#enabled = true", "enabled = true")
        .replace(
            "token_file = \"/var/lib/hunter-pc/token.json\"",
            &format!("token_file = \"{}\"", token_file.display()),
        )
        + &format!("authority_url = \"{}\"\nmax_retries = 0\n", standin.url());
    assert_ne!(filled, template);
    assert!(filled.contains("enabled = true\n") && !filled.contains("#database_url"));
    std::fs::write(&config, &filled).unwrap();
    let env = root.join("etc/hunter-pc/env");
    let env_text = std::fs::read_to_string(&env).unwrap();
    assert!(env_text.contains("\nHUNTER_PC_CONFIG=/etc/hunter-pc/config.toml\n"));
    std::fs::write(
        &env,
        env_text.replace(
            "HUNTER_PC_CONFIG=/etc/hunter-pc/config.toml",
            &format!("HUNTER_PC_CONFIG={}", config.display()),
        ),
    )
    .unwrap();
    assert_eq!(mode_of(&config), (0, gid, 0o640));

    // As the service user, with the unit's environment file loaded, like the README's
    // `sudo -u hunter-pc …` (setpriv: the user exists only in the temporary root).
    let installed = root.join("usr/local/bin/hunter-pc");
    let state = root.join("var/lib/hunter-pc");
    let service = |args: &str| {
        let mut c = as_user(uid, gid, Path::new("/bin/sh"), &state);
        c.arg("-c").arg(format!(
            "set -a; . '{}'; set +a; exec '{}' {args}",
            env.display(),
            installed.display()
        ));
        c
    };
    let out = service("migrate up").output().unwrap();
    assert_exit(&out, 0);
    let mut login = service("login --refresh-token-stdin");
    login
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = login.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{}", standin.issue_refresh_token()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(mode_of(&token_file), (uid, gid, 0o600));
    let out = service("status --json").output().unwrap();
    assert_exit(&out, 0);
    let status = stdout_json(&out);
    assert_eq!(
        status["config"]["config_file"],
        config.display().to_string(),
        "{status}"
    );
    assert_eq!(status["config"]["enabled"], true);
    assert_eq!(status["config"]["token_store"], "file");
    assert_eq!(status["database"]["reachable"], true);
    assert_eq!(status["auth"]["refresh_token"], true, "{status}");
    assert!(!stderr(&out).contains("WARN"), "{}", stderr(&out));

    // Another user may read neither: 78 naming the file (the old root:root layout failed the
    // service user the same way).
    let mut other = as_user(NOBODY.0, NOBODY.1, &installed, &state);
    let out = other
        .env("HUNTER_PC_CONFIG", &config)
        .arg("status")
        .output()
        .unwrap();
    assert_exit(&out, 78);
    assert!(
        last_stderr_line(&out).contains(&format!("cannot read config file {}", config.display())),
        "{}",
        stderr(&out)
    );

    // Running it again upgrades in place: the filled-in settings stay, modes are restored.
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = install(root);
    assert!(out.status.success(), "second run: {}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), filled);
    assert_eq!(mode_of(&config), (0, gid, 0o640));
    assert_eq!(ids_in(root, "hunter-pc"), (uid, gid));
}
