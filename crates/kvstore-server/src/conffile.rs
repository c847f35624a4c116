//! The configuration file, in Redis's syntax: one directive per line, its
//! words split as Redis splits them (double quotes with escapes, single
//! quotes, `#` comments), `include` of further files.
//!
//! A directive is the long flag of the same name (`port 6379` is
//! `--port 6379`), so that the file and the command line share one
//! definition of every setting and its checks. Each directive is checked on
//! its own first, so that a bad one is reported with its file and line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::Parser;
use thiserror::Error;

use crate::config::Config;

/// How deep `include` may nest (a file including itself stops here).
const MAX_INCLUDE_DEPTH: usize = 16;

/// One line of a configuration file that says something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub file: PathBuf,
    pub line: usize,
    /// Lower-cased, as Redis matches directive names.
    pub name: String,
    pub args: Vec<String>,
}

#[derive(Debug, Error)]
pub enum ConfError {
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {reason}", file.display())]
    Bad {
        file: PathBuf,
        line: usize,
        reason: String,
    },
}

/// The directives of `path` and the files it includes, in order.
pub fn read(path: &Path) -> Result<Vec<Directive>, ConfError> {
    let mut out = Vec::new();
    read_into(path, 0, &mut out)?;
    Ok(out)
}

fn read_into(path: &Path, depth: usize, out: &mut Vec<Directive>) -> Result<(), ConfError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfError::Read {
        path: path.into(),
        source,
    })?;
    for (i, raw) in text.lines().enumerate() {
        let bad = |reason: String| ConfError::Bad {
            file: path.into(),
            line: i + 1,
            reason,
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut words = split_args(trimmed).map_err(|e| bad(e.to_string()))?;
        if words.is_empty() {
            continue;
        }
        let name = words.remove(0).to_ascii_lowercase();
        if name == "include" {
            let [file] = words.as_slice() else {
                return Err(bad("include takes one file".into()));
            };
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(bad(format!(
                    "includes nest deeper than {MAX_INCLUDE_DEPTH} files"
                )));
            }
            read_into(Path::new(file), depth + 1, out)?;
            continue;
        }
        out.push(Directive {
            file: path.into(),
            line: i + 1,
            name,
            args: words,
        });
    }
    Ok(())
}

/// The words of a line, split as Redis splits them (see
/// [`kvstore_protocol::split_args`]), as text.
fn split_args(line: &str) -> Result<Vec<String>, &'static str> {
    kvstore_protocol::split_args(line.as_bytes())
        .ok_or("unbalanced quotes in configuration line")?
        .into_iter()
        .map(|w| String::from_utf8(w).map_err(|_| "a value is not valid UTF-8"))
        .collect()
}

/// Directives that add to what earlier lines of theirs said, as in Redis:
/// `save 3600 1` then `save 300 100` is both schedules (`save ""` clears
/// them), and each `client-output-buffer-limit` line sets its classes.
const CUMULATIVE: &[&str] = &["save", "client-output-buffer-limit"];

/// The flags the directives stand for, each checked on its own. A
/// directive's words become one value (`save 900 1 300 10` is
/// `--save "900 1 300 10"`), as every setting takes one; the lines of a
/// [`CUMULATIVE`] directive become one flag, where its last line is.
pub fn to_flags(directives: &[Directive]) -> Result<Vec<OsString>, ConfError> {
    let mut flags = Vec::new();
    let mut merged: Vec<(String, Vec<String>)> = Vec::new();
    for d in directives {
        if CUMULATIVE.contains(&d.name.as_str()) {
            match merged.iter_mut().find(|(n, _)| *n == d.name) {
                Some((_, words)) if d.name != "save" || !is_empty_value(&d.args) => {
                    words.extend(d.args.iter().cloned())
                }
                Some((_, words)) => *words = Vec::new(),
                None => merged.push((d.name.clone(), d.args.clone())),
            }
        }
    }
    let last_of = |name: &str| directives.iter().rposition(|d| d.name == name);
    for (i, d) in directives.iter().enumerate() {
        let mut one = vec![OsString::from(format!("--{}", d.name))];
        if !d.args.is_empty() {
            one.push(d.args.join(" ").into());
        }
        let argv = std::iter::once(OsString::from("kvstore-server")).chain(one.iter().cloned());
        if let Err(e) = Config::try_parse_from(argv) {
            let reason = match e.kind() {
                ErrorKind::UnknownArgument => format!("unknown directive '{}'", d.name),
                _ => format!(
                    "bad directive '{}': {}",
                    d.name,
                    e.to_string()
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("error: ")
                ),
            };
            return Err(ConfError::Bad {
                file: d.file.clone(),
                line: d.line,
                reason,
            });
        }
        match merged.iter().find(|(n, _)| *n == d.name) {
            None => flags.extend(one),
            Some((name, words)) if last_of(name) == Some(i) => {
                flags.push(format!("--{name}").into());
                flags.push(words.join(" ").into());
            }
            Some(_) => {}
        }
    }
    Ok(flags)
}

/// `save ""`: no words, or one empty word.
fn is_empty_value(args: &[String]) -> bool {
    args.iter().all(String::is_empty)
}

/// The command line as `redis-server` takes it: an optional config file
/// first, then flags, which override the file.
pub fn parse_command_line(
    mut argv: impl Iterator<Item = OsString>,
) -> Result<Config, anyhow::Error> {
    let program = argv.next().unwrap_or_else(|| "kvstore-server".into());
    let mut rest: Vec<OsString> = argv.collect();
    let file = match rest.first() {
        Some(first) if !first.to_string_lossy().starts_with('-') => {
            Some(PathBuf::from(rest.remove(0)))
        }
        _ => None,
    };
    let mut args = vec![program];
    if let Some(file) = &file {
        args.extend(to_flags(&read(file)?)?);
    }
    args.extend(rest);
    let mut config = match Config::try_parse_from(args) {
        Ok(c) => c,
        // --help, --version and usage errors print and exit as clap does.
        Err(e) => e.exit(),
    };
    config.config_file = file.map(|f| std::path::absolute(&f).unwrap_or(f));
    Ok(config)
}

/// The comment above the directives `CONFIG REWRITE` appends, as Redis
/// writes it (a file that has it gets its new directives after it).
pub const REWRITE_SIGNATURE: &str = "# Generated by CONFIG REWRITE";

/// One setting as `CONFIG REWRITE` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The current name (the one written).
    pub name: &'static str,
    /// Other names a file may give it (Redis's older ones).
    pub aliases: &'static [&'static str],
    /// Its directives: `maxclients 100`, `dir "/var/lib/kvstore"`; one per
    /// schedule pair or buffer class for `save` and
    /// `client-output-buffer-limit`, as Redis writes them. Each says
    /// whether it is at its default: if so, it is not added to a file
    /// that has no line of the setting left for it.
    pub lines: Vec<(String, bool)>,
}

/// The configuration text `old` with `settings` written into it as Redis's
/// `CONFIG REWRITE` does: comments, blank lines, `include`s and lines it
/// does not know stay where they are; a setting's first line is replaced
/// in place (a setting of several lines takes the file's lines of it in
/// order) and its leftover ones blanked; a line with no place in the file
/// is appended after [`REWRITE_SIGNATURE`], unless it is at its default.
/// Runs of blank lines become one.
pub fn rewrite(old: &str, settings: &[Setting]) -> String {
    // Split as Redis does: a final newline leaves an empty last line,
    // which is kept (and separates appended lines from the old ones).
    let mut lines: Vec<String> = if old.is_empty() {
        Vec::new()
    } else {
        old.split('\n').map(str::to_string).collect()
    };
    let mut has_signature = false;
    // For each setting, the lines that name it.
    let mut found: Vec<Vec<usize>> = vec![Vec::new(); settings.len()];
    for (i, raw) in lines.iter().enumerate() {
        let trimmed = raw.trim();
        if trimmed == REWRITE_SIGNATURE {
            has_signature = true;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some(name) = split_args(trimmed)
            .ok()
            .and_then(|w| w.into_iter().next())
            .map(|n| n.to_ascii_lowercase())
        else {
            continue;
        };
        if let Some(k) = settings
            .iter()
            .position(|s| s.name == name || s.aliases.contains(&name.as_str()))
        {
            found[k].push(i);
        }
    }
    for (setting, at) in settings.iter().zip(&found) {
        // The setting's lines take the places of the file's, in order.
        for (k, (line, is_default)) in setting.lines.iter().enumerate() {
            match at.get(k) {
                Some(&i) => lines[i] = line.clone(),
                None if *is_default => {}
                None => {
                    if !has_signature {
                        lines.push(REWRITE_SIGNATURE.to_string());
                        has_signature = true;
                    }
                    lines.push(line.clone());
                }
            }
        }
        for &i in at.iter().skip(setting.lines.len()) {
            lines[i].clear();
        }
    }
    // Redis turns each run of blank lines into one, which also keeps the
    // blank line a final newline leaves from growing at every rewrite.
    let mut out = String::new();
    let mut was_blank = false;
    for line in lines {
        let blank = line.trim().is_empty();
        if blank && was_blank {
            continue;
        }
        was_blank = blank;
        if !blank {
            out.push_str(&line);
        }
        out.push('\n');
    }
    out
}

/// A value as Redis writes a text setting: in double quotes, with the
/// escapes [`split_args`] reads back.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for b in value.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Rewrites the file at `path` (see [`rewrite`]): written beside it, synced
/// and renamed over it, so that a crash leaves the old file or the new one.
/// A missing file is written afresh.
pub fn rewrite_file(path: &Path, settings: &[Setting]) -> std::io::Result<()> {
    use std::io::Write;
    // Through a symbolic link, rewrite the file it points to.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let (old, permissions) = match std::fs::read_to_string(&target) {
        Ok(text) => (
            text,
            std::fs::metadata(&target).ok().map(|m| m.permissions()),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), None),
        Err(e) => return Err(e),
    };
    let text = rewrite(&old, settings);
    let mut tmp_name = target.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".rewrite-{}", std::process::id()));
    let tmp = target.with_file_name(tmp_name);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        if let Some(p) = permissions {
            file.set_permissions(p)?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_args(line).expect("splits")
    }

    #[test]
    fn splits_as_redis_does() {
        assert_eq!(words("save 900 1"), ["save", "900", "1"]);
        assert_eq!(words("  port\t6379  "), ["port", "6379"]);
        assert_eq!(words(r#"dir "/a b/c""#), ["dir", "/a b/c"]);
        assert_eq!(words(r#"x "a\tb\x41\"q\\""#), ["x", "a\tbA\"q\\"]);
        assert_eq!(words(r"x 'it\'s' ''"), ["x", "it's", ""]);
        assert_eq!(words(r#"save """#), ["save", ""]);
        for bad in [r#"x "open"#, "x 'open", r#"x "a"b"#, "x 'a'b"] {
            assert!(split_args(bad).is_err(), "{bad}");
        }
    }

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn includes_comments_case_and_multi_word_directives() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner = file(dir.path(), "inner.conf", "databases 4\n");
        let outer = file(
            dir.path(),
            "kv.conf",
            &format!(
                "# a comment\n\nPORT 7000\ninclude {}\nsave 900 1 300 10\nappendonly yes\ndaemonize yes\n",
                inner.display()
            ),
        );
        let flags = to_flags(&read(&outer).expect("reads")).expect("valid");
        let mut argv = vec![OsString::from("kvstore-server")];
        argv.extend(flags);
        let c = Config::try_parse_from(argv).expect("parses");
        assert_eq!(c.port, 7000);
        assert_eq!(c.databases, 4);
        assert_eq!(c.save, "900 1 300 10");
        assert!(c.appendonly);
        assert!(c.daemonize, "accepted, for redis.conf files");
    }

    #[test]
    fn save_and_output_limit_lines_add_up_as_in_redis() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = file(
            dir.path(),
            "kv.conf",
            "save 60 1\nsave \"\"\nsave 3600 1\nport 1\nsave 300 100\n\
             client-output-buffer-limit normal 1mb 0 0\n\
             client-output-buffer-limit pubsub 1 2 3\n",
        );
        let flags = to_flags(&read(&conf).expect("reads")).expect("valid");
        let mut argv = vec![OsString::from("kvstore-server")];
        argv.extend(flags);
        let c = Config::try_parse_from(argv).expect("parses");
        assert_eq!(c.save, "3600 1 300 100");
        assert_eq!(
            c.client_output_buffer_limit.to_string(),
            "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 1 2 3"
        );
        let conf = file(dir.path(), "kv.conf", "save 60 1\nsave \"\"\n");
        let flags = to_flags(&read(&conf).expect("reads")).expect("valid");
        assert_eq!(flags, ["--save", ""]);
    }

    #[test]
    fn flags_after_the_file_override_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = file(dir.path(), "kv.conf", "port 7000\nappendonly yes\n");
        let argv = [
            "kvstore-server",
            conf.to_str().expect("utf-8"),
            "--port",
            "7001",
            "--appendonly",
            "no",
        ]
        .into_iter()
        .map(OsString::from);
        let c = parse_command_line(argv).expect("parses");
        assert_eq!(c.port, 7001);
        assert!(!c.appendonly);
        assert_eq!(c.config_file.as_deref(), Some(conf.as_path()));
    }

    #[test]
    fn a_bad_line_is_reported_with_its_file_and_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (text, line, reason) in [
            ("port 1\nportt 2\n", 2, "unknown directive 'portt'"),
            ("\n\nport x\n", 3, "bad directive 'port'"),
            ("dir \"open\n", 1, "unbalanced quotes"),
            ("include\n", 1, "include takes one file"),
            (
                "daemonize no\nsyslog-enabled yes\n",
                2,
                "bad directive 'syslog-enabled'",
            ),
        ] {
            let conf = file(dir.path(), "bad.conf", text);
            let err = read(&conf)
                .and_then(|d| to_flags(&d))
                .expect_err(text)
                .to_string();
            assert!(
                err.starts_with(&format!("{}:{line}: {reason}", conf.display())),
                "{text:?}: {err}"
            );
        }
        let looping = dir.path().join("loop.conf");
        std::fs::write(&looping, format!("include {}\n", looping.display())).expect("write");
        assert!(read(&looping)
            .expect_err("loops")
            .to_string()
            .contains("nest deeper"));
    }

    fn setting(name: &'static str, line: &str, is_default: bool) -> Setting {
        Setting {
            name,
            aliases: &[],
            lines: vec![(line.to_string(), is_default)],
        }
    }

    #[test]
    fn rewrite_keeps_comments_and_order_as_redis_does() {
        // The case checked against redis-server 7.0.15.
        let old = "# my comment\nport 7000\nsave \"\"\n# slow log\nslowlog-max-len 100\n\
                   maxclients 500\nappendonly no\nmaxclients 600\ndir /tmp/x\n";
        let settings = [
            setting("port", "port 7000", false),
            setting("slowlog-max-len", "slowlog-max-len 5", false),
            setting("maxclients", "maxclients 600", false),
            setting("appendonly", "appendonly no", true),
            setting("dir", "dir \"/tmp/x\"", false),
            setting("save", "save \"\"", true),
            setting("databases", "databases 16", true),
            setting(
                "slowlog-log-slower-than",
                "slowlog-log-slower-than 7",
                false,
            ),
            setting(
                "notify-keyspace-events",
                "notify-keyspace-events \"AKE\"",
                false,
            ),
        ];
        let new = rewrite(old, &settings);
        assert_eq!(
            new,
            "# my comment\nport 7000\nsave \"\"\n# slow log\nslowlog-max-len 5\n\
             maxclients 600\nappendonly no\n\ndir \"/tmp/x\"\n\n\
             # Generated by CONFIG REWRITE\nslowlog-log-slower-than 7\n\
             notify-keyspace-events \"AKE\"\n"
        );
        // Again: the generated lines are replaced in place, and a new one
        // goes after them, with no second signature.
        let mut again = settings.to_vec();
        again[7].lines[0].0 = "slowlog-log-slower-than 9".into();
        again.push(setting("maxmemory", "maxmemory 1", false));
        let newer = rewrite(&new, &again);
        assert!(
            newer.ends_with(
                "# Generated by CONFIG REWRITE\nslowlog-log-slower-than 9\n\
                 notify-keyspace-events \"AKE\"\n\nmaxmemory 1\n"
            ),
            "{newer}"
        );
        assert_eq!(newer.matches(REWRITE_SIGNATURE).count(), 1);
        // The final newline's blank line stays one blank line.
        assert_eq!(rewrite(&newer, &again), format!("{newer}\n"));
        assert_eq!(rewrite(&format!("{newer}\n"), &again), format!("{newer}\n"));
        assert_eq!(rewrite("a 1\n\n  \n\n# c\n", &[]), "a 1\n\n# c\n\n");
    }

    #[test]
    fn rewrite_replaces_an_older_name_and_starts_an_empty_file() {
        let s = [Setting {
            name: "busy-reply-threshold",
            aliases: &["lua-time-limit"],
            lines: vec![("busy-reply-threshold 4000".into(), false)],
        }];
        assert_eq!(
            rewrite("LUA-TIME-LIMIT 3000\n", &s),
            "busy-reply-threshold 4000\n\n"
        );
        assert_eq!(
            rewrite("", &s),
            "# Generated by CONFIG REWRITE\nbusy-reply-threshold 4000\n"
        );
    }

    #[test]
    fn a_setting_of_several_lines_takes_the_files_lines_in_order() {
        // The case checked against redis-server 7.0.15.
        let old = "save 60 1\nclient-output-buffer-limit pubsub 32mb 8mb 60\n# x\n\
                   client-output-buffer-limit normal 0 0 0\n";
        let limits = Setting {
            name: "client-output-buffer-limit",
            aliases: &[],
            lines: vec![
                ("client-output-buffer-limit normal 0 0 0".into(), true),
                (
                    "client-output-buffer-limit replica 256mb 64mb 60".into(),
                    true,
                ),
                (
                    "client-output-buffer-limit pubsub 1000 2000 5".into(),
                    false,
                ),
            ],
        };
        let save = Setting {
            name: "save",
            aliases: &[],
            lines: vec![("save 100 2".into(), false), ("save 200 3".into(), false)],
        };
        assert_eq!(
            rewrite(old, &[limits, save.clone()]),
            "save 100 2\nclient-output-buffer-limit normal 0 0 0\n# x\n\
             client-output-buffer-limit replica 256mb 64mb 60\n\n\
             # Generated by CONFIG REWRITE\n\
             client-output-buffer-limit pubsub 1000 2000 5\nsave 200 3\n"
        );
        // Fewer lines than the file has: the rest are blanked.
        assert_eq!(
            rewrite("save 1 1\nsave 2 2\nsave 3 3\nport 1\n", &[save]),
            "save 100 2\nsave 200 3\n\nport 1\n\n"
        );
    }

    #[test]
    fn quoted_values_read_back() {
        for v in ["", "/a b/c", "q\"uote\\", "tab\tnl\n", "\u{7}\u{1}é"] {
            let line = format!("dir {}", quote(v));
            assert_eq!(split_args(&line).expect("splits"), ["dir", v], "{line}");
        }
    }
}
