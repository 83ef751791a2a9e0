//! The `ruru` binary: parses the command line and runs a subcommand.

use std::process::ExitCode;

use clap::Parser;
use ruru::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(a) => {
            let opts = ruru_server::ServeOptions {
                config: a.config,
                server_port: a.port,
                client_port: a.client_port,
                threads: a.threads,
            };
            match ruru_server::serve(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ruru: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check(a) => match ruru_config::load(&a.config) {
            Ok(_) => {
                println!("{}: configuration OK", a.config.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}
