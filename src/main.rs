//! `devtop` binary: parse the command line, then run the TUI or a headless command.
//! Exit codes: 0 ok, 1 a command's outcome failed (a kill target survived), 2 bad input.

use clap::Parser;
use devtop::cli::{Cli, Command};
use devtop::headless::{databases, kill, out, servers, status};
use devtop::setup::{EXIT_OK, EXIT_USAGE, resolve};
use std::time::Duration;

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
    // The one runtime: the dashboard, the headless commands and the demo all run on it.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out::error(&format!("cannot start the runtime: {e}"));
            std::process::exit(devtop::setup::EXIT_FAILURE);
        }
    };
    let code = rt.block_on(run(cli));
    // Never hang on the way out: a kill still waiting out its grace or a stuck DNS lookup is
    // abandoned (the terminal is already restored).
    rt.shutdown_timeout(Duration::from_millis(300));
    std::process::exit(code);
}

async fn run(cli: Cli) -> i32 {
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
        return devtop::demo::run(&cli.common).await;
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
    if let Some(Command::Init { write }) = cli.command {
        // Before `resolve`: a broken devtop.toml must not stop a proposal.
        return devtop::headless::init::run(&cli.common, write);
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
        None => {
            let mut setup = setup;
            setup.keep_servers = cli.keep;
            devtop::tui::run(setup).await
        }
        Some(Command::Status { json }) => status::run(&setup, json).await,
        Some(Command::Migrations { env, json }) => {
            databases::run(&setup, env.as_deref(), json).await
        }
        Some(Command::Preflight { env, json, strict }) => {
            devtop::headless::preflight::run(&setup, env.as_deref(), json, strict).await
        }
        Some(Command::Kill(args)) => kill::collect_and_run(&args, &setup).await,
        Some(Command::Up(args)) => servers::up(&setup, &args).await,
        Some(Command::Down(args)) => servers::down(&setup, &args).await,
        Some(Command::Logs(args)) => devtop::headless::logs::run(&setup, &args).await,
        Some(Command::Guard(args)) if args.print_unit => {
            devtop::headless::guard::print_unit(&setup, cli.common.config.as_deref(), args.auto)
        }
        Some(Command::Guard(args)) => devtop::headless::guard::run(&setup, args.auto).await,
        Some(Command::Migrate(args)) => {
            let opts = devtop::headless::migrate::Options {
                env: args.env.clone(),
                yes: args.yes,
            };
            devtop::headless::migrate::run(&setup, &opts).await
        }
        Some(Command::Hook(args)) => devtop::headless::hook::run(&setup.root, &args),
        Some(
            Command::Demo
            | Command::Config { .. }
            | Command::Completions { .. }
            | Command::Man
            | Command::Init { .. },
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
