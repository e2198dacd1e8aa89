//! Writing data to stdout. stdout carries data only; a closed pipe (`| head`) is success.

use std::io::Write;

/// Write `text` to stdout; a broken pipe ends the process quietly with exit 0.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let r = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    if let Err(e) = r {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Print a JSON value on one line followed by a newline.
pub fn emit_json(value: &serde_json::Value) {
    emit(&format!("{value}\n"));
}
