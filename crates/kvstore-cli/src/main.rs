//! `kvstore-cli`: a redis-cli-like command-line client for kvstore.

mod args;
mod exec;
mod format;
mod hints;
mod repl;
mod split;
mod typed;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use kvstore_client::Client;

use crate::args::Args;
use crate::exec::Outcome;

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = args.check() {
        let _ = writeln!(io::stderr(), "Error: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(warning) = args.auth_warning() {
        let _ = writeln!(io::stderr(), "{warning}");
    }
    if args.command.is_empty() {
        return match repl::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                // Nothing more can be done if stderr is gone too.
                let _ = writeln!(io::stderr(), "Error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    one_shot(&args)
}

/// REDISCLI_AUTH, as redis-cli reads it.
pub fn env_password() -> Option<String> {
    std::env::var("REDISCLI_AUTH")
        .ok()
        .filter(|p| !p.is_empty())
}

/// Runs the command given on the command line and exits: 0 for a reply,
/// 1 for an error reply or any failure.
fn one_shot(args: &Args) -> ExitCode {
    let command = match exec::request(&args.command, args.typed) {
        Ok(command) => command,
        Err(e) => {
            let _ = writeln!(io::stderr(), "Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut client = match Client::connect_with(args.addr(), &args.client_options(env_password())) {
        Ok(client) => client,
        Err(e) => {
            let _ = writeln!(io::stderr(), "Could not connect to {}: {e}", args.addr());
            return ExitCode::FAILURE;
        }
    };
    let result = client.execute(&command);
    let (mut out, mut err) = (io::stdout().lock(), io::stderr().lock());
    let outcome = exec::print_result(result, args.raw, &mut out, &mut err);
    match outcome.and_then(|o| out.flush().map(|()| o)) {
        Ok(Outcome::Reply) => ExitCode::SUCCESS,
        // A closed stdout (e.g. `| head`) is not worth a message.
        Ok(_) | Err(_) => ExitCode::FAILURE,
    }
}
