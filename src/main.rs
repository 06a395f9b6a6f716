//! `devtop` binary: parse the command line, then run the TUI or a headless command.
//! Exit codes: 0 ok, 1 a command's outcome failed (a kill target survived), 2 bad input.

use clap::Parser;
use devtop::cli::{Cli, Command};
use devtop::headless::{databases, kill, once, status};
use devtop::setup::Setup;
use devtop::setup::{EXIT_OK, EXIT_USAGE, resolve};

fn main() {
    devtop::standin::run_if_requested();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    std::process::exit(run(cli));
}

fn run(cli: Cli) -> i32 {
    if matches!(cli.command, None | Some(Command::Demo)) {
        // Before the setup, so its log lines (a .env that does not parse, Prisma-only URL
        // parameters) reach the Logs pane.
        devtop::tui::logging::init();
    }
    if let Some(Command::Demo) = cli.command {
        return devtop::demo::run(&cli.common);
    }
    let setup = match resolve(&cli.common) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("devtop: {msg}");
            return EXIT_USAGE;
        }
    };
    match cli.command {
        None => devtop::tui::run(setup),
        Some(Command::Status { json }) => status(&setup, json),
        Some(Command::Migrations { env, json }) => databases::run(&setup, env.as_deref(), json),
        Some(Command::Kill(args)) => {
            match once::collect_once(setup.selection.clone(), &setup.config.memory) {
                Ok((snap, _)) => kill::run(&args, &snap, setup.config.grace),
                Err(e) => {
                    eprintln!("devtop: {e}");
                    devtop::setup::EXIT_FAILURE
                }
            }
        }
        Some(Command::Demo) => EXIT_OK,
    }
}

/// `devtop status`: processes (two samples 1 s apart) and databases (probed meanwhile).
fn status(setup: &Setup, json: bool) -> i32 {
    let db_setup = setup.clone();
    let db = std::thread::spawn(move || databases::collect(&db_setup));
    let procs = once::collect_once(setup.selection.clone(), &setup.config.memory);
    let db = db
        .join()
        .unwrap_or_else(|_| Err("database probe panicked".into()));
    let ((snap, mem), db) = match (procs, db) {
        (Ok(p), Ok(d)) => (p, d),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("devtop: {e}");
            return devtop::setup::EXIT_FAILURE;
        }
    };
    if json {
        match serde_json::to_string_pretty(&status::to_json(&snap, &mem, &db)) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("devtop: cannot encode JSON: {e}");
                return devtop::setup::EXIT_FAILURE;
            }
        }
    } else {
        print!("{}", status::to_text(&snap, &mem, &db));
    }
    EXIT_OK
}
