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

use crate::Config;

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

/// The flags the directives stand for, each checked on its own. A
/// directive's words become one value (`save 900 1 300 10` is
/// `--save "900 1 300 10"`), as every setting takes one.
pub fn to_flags(directives: &[Directive]) -> Result<Vec<OsString>, ConfError> {
    let mut flags = Vec::new();
    for d in directives {
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
        flags.extend(one);
    }
    Ok(flags)
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
                "# a comment\n\nPORT 7000\ninclude {}\nsave 900 1 300 10\nappendonly yes\n",
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
}
