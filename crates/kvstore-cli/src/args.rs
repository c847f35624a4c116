//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser};
use kvstore_client::{ClientOptions, TlsOptions};

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

    /// Password to send with AUTH on connecting (also read from the
    /// REDISCLI_AUTH environment variable, which keeps it out of `ps`).
    #[arg(short = 'a', long = "pass", value_name = "PASSWORD")]
    pub password: Option<String>,

    /// User for AUTH (`AUTH USER PASSWORD`); needs a password.
    #[arg(long, value_name = "USERNAME")]
    pub user: Option<String>,

    /// No warning about a password given on the command line.
    #[arg(long)]
    pub no_auth_warning: bool,

    /// Connect over TLS.
    #[arg(long)]
    pub tls: bool,

    /// CA certificate file (PEM) to check the server's certificate with;
    /// without it or --cacertdir, the system's CAs.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Directory of CA certificate files (PEM).
    #[arg(long, value_name = "DIR")]
    pub cacertdir: Option<PathBuf>,

    /// Client certificate (PEM) to show the server.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,

    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// The name the server's certificate must carry (default: the host).
    #[arg(long, value_name = "HOST")]
    pub sni: Option<String>,

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

    /// The connection settings these flags ask for; `env_password` is
    /// REDISCLI_AUTH, used when no password flag is given.
    pub fn client_options(&self, env_password: Option<String>) -> ClientOptions {
        let mut options = match self.timeout {
            Some(t) => ClientOptions::new()
                .connect_timeout(Some(t))
                .read_timeout(Some(t))
                .write_timeout(Some(t)),
            None => ClientOptions::new(),
        };
        if let Some(password) = self.password.clone().or(env_password) {
            options = options.auth(self.user.as_deref(), &password);
        }
        if self.tls {
            let mut tls = TlsOptions::new().server_name(self.sni.as_deref().unwrap_or(
                // An IPv6 literal as the host is given without brackets.
                self.host.trim_start_matches('[').trim_end_matches(']'),
            ));
            if let Some(ca) = &self.cacert {
                tls = tls.ca_cert(ca);
            }
            if let Some(dir) = &self.cacertdir {
                tls = tls.ca_cert_dir(dir);
            }
            if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
                tls = tls.client_cert(cert, key);
            }
            options = options.tls(tls);
        }
        options
    }

    /// What is wrong with the flags together, if anything.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.cert.is_some() != self.key.is_some() {
            return Err("--cert and --key go together");
        }
        Ok(())
    }

    /// redis-cli's warning for a password on the command line.
    pub fn auth_warning(&self) -> Option<&'static str> {
        (self.password.is_some() && !self.no_auth_warning).then_some(
            "Warning: Using a password with '-a' or '-u' option on the command line \
             interface may not be safe.",
        )
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
    fn auth_and_tls_flags_as_redis_cli_spells_them() {
        let a = parse(&[
            "-a", "pw", "--user", "app", "--tls", "--cacert", "ca.crt", "ping",
        ]);
        let options = a.client_options(None);
        let auth = options.get_auth().unwrap();
        assert_eq!(
            (auth.user.as_deref(), auth.password.as_str()),
            (Some("app"), "pw")
        );
        let tls = options.get_tls().unwrap();
        assert_eq!(tls.get_ca_cert(), Some(std::path::Path::new("ca.crt")));
        assert_eq!(tls.get_server_name(), Some("127.0.0.1"));
        assert!(a.auth_warning().is_some());
        let a = parse(&["--pass", "pw", "--no-auth-warning", "--tls", "--sni", "db"]);
        assert!(a.auth_warning().is_none());
        assert_eq!(
            a.client_options(None).get_tls().unwrap().get_server_name(),
            Some("db")
        );
        // REDISCLI_AUTH only when no flag gives a password.
        let a = parse(&[]);
        assert!(a.client_options(None).get_auth().is_none());
        let env = a.client_options(Some("env".into()));
        assert_eq!(env.get_auth().unwrap().password, "env");
        assert!(parse(&["--cert", "c.crt"]).check().is_err());
    }

    #[test]
    fn help_is_long_only() {
        let err = Args::try_parse_from(["kvstore-cli", "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
    }
}
