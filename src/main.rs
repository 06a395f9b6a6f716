//! `devtop` binary: parse the command line, then run the TUI or a headless command.
//! Exit codes: 0 ok, 1 a command's outcome failed (a kill target survived), 2 bad input.

use clap::Parser;
use devtop::cli::{Cli, Command};
use devtop::headless::{databases, kill, once, out, status};
use devtop::setup::Setup;
use devtop::setup::{EXIT_OK, EXIT_USAGE, resolve};

fn main() {
    devtop::demo::standin::run_if_requested();
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
        // Before anything starts (the demo's stand-ins, the collectors): nothing to clean up.
        if let Err(why) = devtop::tui::terminal::check_usable() {
            out::error(&why);
            return EXIT_USAGE;
        }
        // Before the setup, so its log lines (a .env that does not parse, Prisma-only URL
        // parameters) reach the Logs pane.
        devtop::tui::logging::init();
    }
    if let Some(Command::Demo) = cli.command {
        return devtop::demo::run(&cli.common);
    }
    match &cli.command {
        Some(Command::Completions { shell }) => {
            out::exact(&devtop::headless::generate::completions(*shell));
            return EXIT_OK;
        }
        Some(Command::Man) => {
            return match devtop::headless::generate::man_page() {
                Ok(page) => {
                    out::exact(&page);
                    EXIT_OK
                }
                Err(e) => {
                    out::error(&e);
                    devtop::setup::EXIT_FAILURE
                }
            };
        }
        _ => {}
    }
    if let Some(Command::Config { .. }) = cli.command {
        // Before `resolve`: it must work when a config file is broken.
        return config_paths(&cli.common);
    }
    let setup = match resolve(&cli.common) {
        Ok(mut s) => {
            cli.common.apply(&mut s.config);
            s
        }
        Err(msg) => {
            out::error(&msg);
            return EXIT_USAGE;
        }
    };
    if cli.command.is_some() {
        // The dashboard logged these already (Logs pane); scripts see them on stderr.
        for w in &setup.warnings {
            devtop::headless::out::error(&format!("warning: {w}"));
        }
    }
    match cli.command {
        None => devtop::tui::run(setup),
        Some(Command::Status { json }) => status(&setup, json),
        Some(Command::Migrations { env, json }) => databases::run(&setup, env.as_deref(), json),
        Some(Command::Kill(args)) => {
            match once::collect_once(setup.selection.clone(), &setup.config.memory) {
                Ok((snap, _)) => kill::run(&args, &snap, setup.config.grace),
                Err(e) => {
                    out::error(&e);
                    devtop::setup::EXIT_FAILURE
                }
            }
        }
        Some(
            Command::Demo | Command::Config { .. } | Command::Completions { .. } | Command::Man,
        ) => EXIT_OK,
    }
}

/// `devtop config --path`: the config files in the order they apply; exit 2 when one is
/// invalid or unreadable.
fn config_paths(common: &devtop::cli::Common) -> i32 {
    use devtop::config::layers::{config_files, describe};
    let root = match devtop::setup::project_root(common) {
        Ok(r) => r,
        Err(msg) => {
            out::error(&msg);
            return EXIT_USAGE;
        }
    };
    let files = config_files(common.config.as_deref(), &root);
    let (text, bad) = describe(&files, devtop::config::Machine::current());
    out::text(&text);
    if bad { EXIT_USAGE } else { EXIT_OK }
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
            out::error(&e);
            return devtop::setup::EXIT_FAILURE;
        }
    };
    if json {
        match serde_json::to_string_pretty(&status::to_json(&snap, &mem, &db)) {
            Ok(s) => out::json(&s),
            Err(e) => {
                out::error(&format!("cannot encode JSON: {e}"));
                return devtop::setup::EXIT_FAILURE;
            }
        }
    } else {
        out::text(&status::to_text(&snap, &mem, &db));
    }
    EXIT_OK
}
