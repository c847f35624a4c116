//! Command-line arguments.

use std::time::Duration;

use clap::{ArgAction, Parser};
use kvstore_client::ClientOptions;

/// Command-line client for kvstore and other servers speaking its protocol.
///
/// With a COMMAND, runs it, prints the reply and exits (status 1 on an
/// error reply or connection failure). Without one, starts an interactive
/// prompt.
#[derive(Debug, Parser)]
#[command(name = "kvstore-cli", version, disable_help_flag = true)]
pub struct Args {
    /// Server host name or address.
    #[arg(short = 'h', long, default_value = "127.0.0.1")]
    pub host: String,

    /// Server port.
    #[arg(short = 'p', long, default_value_t = 31337)]
    pub port: u16,

    /// Print bare values, one per line, for scripts.
    #[arg(long)]
    pub raw: bool,

    /// Read each argument after the command name as a JSON literal, to send
    /// integers, arrays, dictionaries and null (see docs/client-and-cli.md).
    #[arg(long)]
    pub typed: bool,

    /// Give up connecting or waiting for a reply after this many seconds.
    #[arg(short = 't', long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// The command to run and its arguments.
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

impl Args {
    /// `host:port`, with brackets around an IPv6 literal.
    pub fn addr(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn client_options(&self) -> ClientOptions {
        match self.timeout {
            Some(t) => ClientOptions::new()
                .connect_timeout(Some(t))
                .read_timeout(Some(t))
                .write_timeout(Some(t)),
            None => ClientOptions::new(),
        }
    }
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s}"))?;
    // Below a millisecond every connect and read would fail at once (and
    // the OS rounds socket timeouts to ms), so it is a usage mistake.
    if secs >= 0.001 && secs.is_finite() {
        Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
    } else {
        Err("the timeout must be at least 0.001 seconds".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("kvstore-cli").chain(argv.iter().copied())).unwrap()
    }

    #[test]
    fn defaults() {
        let a = parse(&[]);
        assert_eq!(a.addr(), "127.0.0.1:31337");
        assert!(!a.raw && !a.typed && a.command.is_empty());
    }

    #[test]
    fn h_is_host_and_command_args_may_look_like_flags() {
        let a = parse(&["-h", "example.com", "-p", "7000", "set", "k", "-1", "--raw"]);
        assert_eq!(a.addr(), "example.com:7000");
        assert_eq!(a.command, ["set", "k", "-1", "--raw"]);
        assert!(!a.raw);
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        assert_eq!(parse(&["-h", "::1"]).addr(), "[::1]:31337");
    }

    #[test]
    fn timeout_must_be_positive() {
        assert_eq!(
            parse(&["-t", "0.5"]).timeout,
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse(&["-t", "0.001"]).timeout,
            Some(Duration::from_millis(1))
        );
        for bad in ["0", "0.0009", "1e-7", "-1", "inf", "NaN"] {
            assert!(
                Args::try_parse_from(["kvstore-cli", "-t", bad]).is_err(),
                "{bad}"
            );
        }
        assert!(Args::try_parse_from(["kvstore-cli", "-t", "x"]).is_err());
    }

    #[test]
    fn help_is_long_only() {
        let err = Args::try_parse_from(["kvstore-cli", "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
    }
}
