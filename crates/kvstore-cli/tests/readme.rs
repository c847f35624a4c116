//! README.md's "Usage" session, run as written: each `$ kvstore-cli …`
//! line is run and its output compared with the lines the README shows
//! under it (an interactive prompt's lines are typed into it).
//!
//! The binary is the one this build made, or, with `KVSTORE_BIN_DIR` set,
//! the one in that directory: after
//! `cargo install --locked --path crates/kvstore-cli --root DIR`,
//! `KVSTORE_BIN_DIR=DIR/bin cargo test -p kvstore-cli --test readme`
//! checks the installed binary.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use kvstore_server::BackgroundServer;

/// One `$ ` line of the README and what it should print.
struct Example {
    words: Vec<String>,
    /// Lines typed at the prompt it opens.
    typed: Vec<String>,
    expected: String,
}

/// Splits a shell line as sh would for these examples: spaces, `'…'`
/// quoting, and a `#` comment.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            ' ' if !quoted => words.extend(word.take()),
            '#' if !quoted && word.is_none() => break,
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// The examples of the first `sh` block after "## Usage".
fn examples() -> Vec<Example> {
    let readme = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(readme).expect("README.md");
    let usage = text.split("\n## Usage\n").nth(1).expect("a Usage section");
    let block = usage
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("an sh block");
    let mut out: Vec<Example> = Vec::new();
    for line in block.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            out.push(Example {
                words: shell_words(command),
                typed: Vec::new(),
                expected: String::new(),
            });
        } else if let Some(last) = out.last_mut() {
            match line.split_once("> ") {
                Some((prompt, typed)) if prompt.starts_with("127.0.0.1:") => {
                    last.typed.push(typed.to_string())
                }
                _ => {
                    last.expected.push_str(line);
                    last.expected.push('\n');
                }
            }
        }
    }
    out
}

fn binary() -> PathBuf {
    match std::env::var_os("KVSTORE_BIN_DIR") {
        Some(dir) => PathBuf::from(dir).join("kvstore-cli"),
        None => PathBuf::from(env!("CARGO_BIN_EXE_kvstore-cli")),
    }
}

#[test]
fn the_readme_usage_examples_print_what_the_readme_shows() {
    let examples = examples();
    assert!(examples.len() >= 4, "too few examples found");
    let server = BackgroundServer::start();
    let port = server.addr().port().to_string();
    for ex in examples {
        let (program, args) = ex.words.split_first().expect("a command");
        assert_eq!(program, "kvstore-cli", "README example runs {program}");
        // The README's server is on the default port; this one is not.
        let mut child = Command::new(binary())
            .args(["-p", &port])
            .args(args)
            .env("KVSTORE_CLI_HISTFILE", "")
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kvstore-cli");
        let mut stdin = child.stdin.take().expect("stdin");
        for line in &ex.typed {
            writeln!(stdin, "{line}").expect("type");
        }
        drop(stdin);
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{:?}: {out:?}", ex.words);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            ex.expected,
            "{:?}",
            ex.words
        );
    }
}
