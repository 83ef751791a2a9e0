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
                control_timeout: a.control_timeout_ms.map(std::time::Duration::from_millis),
            };
            match ruru_server::serve(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ruru: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Ctl(a) => ctl(a),
        Command::Db(a) => db(a),
        Command::Probe(a) => ExitCode::from(ruru::probe::run(&a)),
        // Like `kea-dhcp4 -t`, hook libraries of both sections are checked
        // (ELF type, required symbols, ABI version) from their files: no
        // code of theirs runs.
        Command::Check(a) => {
            match ruru_config::load_files(&a.config, &ruru_config::Places::from_env()) {
                Ok(c) => {
                    if let Err(e) = ruru_server::hooks::check_config(&c) {
                        eprintln!("{e}");
                        return ExitCode::FAILURE;
                    }
                    let files: Vec<String> =
                        a.config.iter().map(|p| p.display().to_string()).collect();
                    println!("{}: configuration OK", files.join(", "));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `ruru db init|upgrade|version -c FILE`.
fn db(a: ruru::cli::DbArgs) -> ExitCode {
    use ruru::cli::DbActionArg;
    use ruru_server::db::{DbAction, KeaRelease};
    if a.schema.is_some() && !matches!(a.action, DbActionArg::Init | DbActionArg::Upgrade) {
        eprintln!("ruru db: --schema is for init and upgrade");
        return ExitCode::FAILURE;
    }
    let config = match ruru_config::load(&a.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let action = match a.action {
        DbActionArg::Init => DbAction::Init(a.schema.unwrap_or(KeaRelease::NEWEST)),
        DbActionArg::Upgrade => DbAction::Upgrade(a.schema.unwrap_or(KeaRelease::NEWEST)),
        DbActionArg::Version => DbAction::Version,
        DbActionArg::LeaseDump | DbActionArg::LeaseUpload | DbActionArg::StatsRecount => {
            return lease_tool(&a, &config);
        }
    };
    // The SQL databases of Dhcp4 and Dhcp6, lease and hosts (each once); with none, the
    // first section's memfile gets the "no schema" error.
    let mut dbs = ruru_server::db::sql_databases(&config);
    if dbs.is_empty() {
        match (&config.dhcp4, &config.dhcp6) {
            (Some(d), _) => dbs.push(("Dhcp4".into(), &d.lease_database.kind)),
            (None, Some(d)) => dbs.push(("Dhcp6".into(), &d.lease_database.kind)),
            (None, None) => {
                eprintln!(
                    "ruru db: {}: no Dhcp4 or Dhcp6 section (its lease-database names the database)",
                    a.config.display()
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let several = dbs.len() > 1;
    for (section, db) in dbs {
        // With two databases, each line says whose it is.
        let prefix = if several {
            format!("{section}: ")
        } else {
            String::new()
        };
        match ruru_server::db::schema(db, action) {
            Ok(state) => {
                // `version` prints Kea's version alone, as `kea-admin
                // db-version` does.
                let v = match state {
                    ruru_server::db::SchemaState::Missing => "none".to_string(),
                    ruru_server::db::SchemaState::Version(v, m) if action == DbAction::Version => {
                        format!("{v}.{m}")
                    }
                    s => s.to_string(),
                };
                match action {
                    DbAction::Version => println!("{prefix}{v}"),
                    DbAction::Init(r) | DbAction::Upgrade(r) => {
                        let asked = r.schema(matches!(db, ruru_config::LeaseDbKind::Mysql(_)));
                        match state {
                            ruru_server::db::SchemaState::Version(v, m) if (v, m) == asked => {
                                println!("{prefix}database schema: Kea {r}'s {v}.{m}")
                            }
                            // `init` leaves a schema alone.
                            _ => println!(
                                "{prefix}database schema: {v} (left as it was: `ruru db init` \
                                 creates a schema only where there is none; `ruru db upgrade \
                                 --schema {r}` upgrades one)"
                            ),
                        }
                    }
                }
            }
            Err(e) => {
                eprintln!("ruru db: {prefix}{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// `ruru db lease-dump | lease-upload | stats-recount`.
fn lease_tool(a: &ruru::cli::DbArgs, config: &ruru_config::Config) -> ExitCode {
    use ruru::cli::DbActionArg;
    use ruru_server::lease_tools::{self, Family};
    let family = if a.v6 { Family::V6 } else { Family::V4 };
    let result = match a.action {
        DbActionArg::LeaseDump => {
            let written = match &a.output {
                Some(path) => std::fs::File::create(path)
                    .map_err(|e| format!("{}: {e}", path.display()))
                    .and_then(|f| {
                        let mut w = std::io::BufWriter::new(f);
                        lease_tools::lease_dump(config, &a.config, family, &mut w)
                            .map_err(|e| e.to_string())
                    }),
                None => {
                    let stdout = std::io::stdout();
                    let mut w = stdout.lock();
                    lease_tools::lease_dump(config, &a.config, family, &mut w)
                        .map_err(|e| e.to_string())
                }
            };
            written.map(|n| {
                if a.output.is_some() {
                    println!("{n} leases dumped");
                }
            })
        }
        DbActionArg::LeaseUpload => match &a.input {
            None => Err("lease-upload needs the lease file: -i FILE".to_string()),
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("{}: {e}", path.display()))
                .and_then(|text| {
                    let source = path.display().to_string();
                    lease_tools::lease_upload(config, &a.config, family, &text, &source)
                        .map_err(|e| e.to_string())
                })
                .map(|n| println!("{n} leases uploaded")),
        },
        _ => {
            let mut dbs: Vec<&ruru_config::LeaseDbKind> = Vec::new();
            for (_, db) in ruru_server::db::sql_databases(config) {
                if !dbs.contains(&db) {
                    dbs.push(db);
                }
            }
            if dbs.is_empty() {
                Err("no SQL lease database in the configuration (stats-recount is for \"postgresql\" and \"mysql\")".to_string())
            } else {
                dbs.into_iter()
                    .try_for_each(|db| lease_tools::stats_recount(db).map_err(|e| e.to_string()))
                    .map(|()| println!("lease statistics recounted"))
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ruru db: {e}");
            ExitCode::FAILURE
        }
    }
}

fn ctl(a: ruru::cli::CtlArgs) -> ExitCode {
    use ruru::ctl;
    let args = match a
        .args
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
    {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            eprintln!("ruru ctl: --args is not valid JSON: {e}");
            return ExitCode::FAILURE;
        }
    };
    let target = match a.socket {
        Some(p) => ctl::Target::Socket(p),
        None => ctl::Target::Url {
            url: a.url.unwrap_or_else(|| "http://127.0.0.1:8000/".into()),
            user: a.user,
            password: a.password,
            ca: a.ca,
            cert: a.cert,
            key: a.key,
        },
    };
    let req = ctl::request(&a.command, args, a.service.as_deref());
    match ctl::send(&target, &req, std::time::Duration::from_secs(a.timeout)) {
        Ok(answer) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            if ctl::success(&answer) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("ruru ctl: {e}");
            ExitCode::FAILURE
        }
    }
}
