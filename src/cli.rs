//! Command-line interface (clap). Bad flags exit with code 2 before any screen is drawn.

use crate::model::tree::Scope;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// devtop — htop for the JS dev stack: node, prisma, tsx, vite and their schema-engines.
#[derive(Debug, Parser)]
#[command(name = "devtop", version, about, long_about = None)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub common: Common,
    /// Dashboard: quitting leaves the dev servers it started running (recorded in
    /// .devtop/state.json for `devtop down` or another devtop) instead of asking.
    #[arg(long)]
    pub keep: bool,
    /// Headless command; without one the TUI opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by the TUI and the headless commands.
#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// Project root (default: nearest ancestor of the working directory holding devtop.toml,
    /// package.json or prisma/).
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Which processes to show: all of mine (user) or those under the project root (project).
    #[arg(long, global = true, value_enum)]
    pub scope: Option<ScopeArg>,
    /// Config file (default: <project>/devtop.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Dashboard refresh interval, e.g. 500ms, 2s (overrides `refresh` of the config;
    /// 100ms to 1h). `+`/`-` change it live.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_refresh)]
    pub refresh: Option<Duration>,
    /// Leave the mouse to the terminal (its own text selection) instead of clicks selecting
    /// rows and the wheel scrolling (overrides `mouse` of the config).
    #[arg(long, global = true)]
    pub no_mouse: bool,
}

impl Common {
    /// Apply the command-line overrides that the config file also sets (`--refresh`,
    /// `--no-mouse`).
    pub fn apply(&self, config: &mut crate::config::Config) {
        if let Some(r) = self.refresh {
            config.refresh = r;
        }
        if self.no_mouse {
            config.mouse = false;
        }
    }
}

fn parse_refresh(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration like 500ms or 2s: {e}"))?;
    if d < Duration::from_millis(100) || d > Duration::from_secs(3600) {
        return Err(format!("`{s}` is out of range: 100ms to 1h"));
    }
    Ok(d)
}

/// `--scope` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScopeArg {
    /// Every matching process of the current user.
    User,
    /// Matching processes whose cwd (or an ancestor's) is under the project root.
    Project,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Scope {
        match s {
            ScopeArg::User => Scope::User,
            ScopeArg::Project => Scope::Project,
        }
    }
}

/// Headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one snapshot (processes, suspects, memory) and exit 0.
    Status {
        /// Print JSON (format in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the migrations × environments matrix; exit 1 when an environment has pending,
    /// failed, rolled-back or edited migrations or cannot be read.
    Migrations {
        /// Only this environment (as named in devtop.toml; "local" for DATABASE_URL).
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run the checks before a migration (processes, schema, database, memory, migrations,
    /// deploy order, inotify); exit 0 pass, 1 a check failed (or warned, with --strict), 2
    /// bad usage or configuration.
    Preflight {
        /// The target environment (as named in devtop.toml; default "local").
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// Print JSON (format in the README) instead of text.
        #[arg(long)]
        json: bool,
        /// Treat warnings as failures (exit 1).
        #[arg(long)]
        strict: bool,
    },
    /// Kill suspects or given PIDs with their descendants (SIGTERM, then SIGKILL after the grace).
    Kill(KillArgs),
    /// Start the `[[server]]` dev servers in dependency order; then stay in the foreground
    /// printing their logs and restarting `on-failure` servers until Ctrl-C (which stops what
    /// it started), or with --wait exit 0 once all are ready. Exit 1 naming the one that
    /// failed (after stopping what was started) or a taken port's holder.
    Up(UpArgs),
    /// Stop the dev servers recorded by `devtop up`, in reverse order; exit 0 when every
    /// process of every server ended.
    Down(DownArgs),
    /// Print the log of a `[[server]]` started by `devtop up` (the last lines; `-f` follows
    /// it), control bytes escaped and secrets redacted; exit 1 when it has no log yet, 2 for
    /// an unknown name.
    Logs(LogsArgs),
    /// The memory guard without the dashboard: watch the memory level (PSI, MemAvailable,
    /// cgroup headroom) and, when it turns critical, alert and — with `--auto` or
    /// `[guard] auto = true` — end dev-tool suspects one at a time, largest RSS first; every
    /// line on stdout. Ends cleanly (exit 0) on SIGTERM, SIGINT or SIGHUP.
    Guard(GuardArgs),
    /// Guarded migrate: refuse while another migrate runs for the same database or its
    /// migrate lock is held, run the preflight gate, then `[prisma] migrate` (default `npx
    /// prisma migrate deploy`) with a hang watchdog; exit 0 only when it succeeded and nothing
    /// is pending or failed.
    Migrate(MigrateArgs),
    /// Install a git hook that runs `devtop preflight --strict` (husky's `.husky/` when the
    /// project uses husky, else `.git/hooks/`).
    Hook(HookArgs),
    /// Start a throwaway project with stand-in processes and open the TUI on it.
    Demo,
    /// Print a shell completion script (e.g. `devtop completions bash > ~/.local/share/bash-completion/completions/devtop`).
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page devtop(1) in roff (`devtop man | man -l -`).
    Man,
    /// Show where the configuration comes from.
    Config {
        /// Print the config files in the order they apply (per-user, then the project's),
        /// saying which exist; exit 2 when one of them is invalid.
        #[arg(long, required = true)]
        path: bool,
    },
    /// Propose `[[server]]` entries for devtop.toml from the package.json files (root and
    /// workspaces): their dev/start scripts through the project's package manager, ports and
    /// readiness probes when written in the script or vite config, depends_on from a vite
    /// proxy. Prints the TOML; exit 2 when a package.json cannot be read.
    Init {
        /// Create <project>/devtop.toml instead of printing; never over an existing file
        /// (exit 1).
        #[arg(long)]
        write: bool,
    },
}

/// `devtop kill` options.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("targets").required(true).args(["suspects", "pid"])))]
pub struct KillArgs {
    /// Kill every suspect (not the warn-only ones, like Studio under policy "warn").
    #[arg(long)]
    pub suspects: bool,
    /// PIDs to kill, each with its descendants. `PID@START_TICKS` (start_ticks from
    /// `status --json`) refuses the PID when it was reused since.
    #[arg(long, num_args = 1.., value_name = "PID[@START_TICKS]", value_parser = parse_pid_arg)]
    pub pid: Vec<PidArg>,
    /// Print what would be signalled and why, signal nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Seconds between SIGTERM and SIGKILL (default from config, else 3).
    #[arg(long, value_name = "SECS")]
    pub grace: Option<f64>,
}

/// `devtop guard` options.
#[derive(Debug, Args)]
pub struct GuardArgs {
    /// End dev-tool suspects without asking (as `[guard] auto = true`).
    #[arg(long)]
    pub auto: bool,
    /// Print a systemd user service that runs this guard for the project, and exit.
    #[arg(long)]
    pub print_unit: bool,
}

/// `devtop migrate` options.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Target environment (as named in devtop.toml; default "local").
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Go on after preflight warnings, and for production, without asking.
    #[arg(long)]
    pub yes: bool,
}

/// `devtop hook` options.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: HookAction,
}

/// `devtop hook` actions.
#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Write the hook (never over an existing one without --force).
    Install {
        /// The git hook: pre-push or pre-commit.
        #[arg(value_enum)]
        hook: HookName,
        /// Replace an existing hook file.
        #[arg(long)]
        force: bool,
    },
}

/// Git hooks devtop can install.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum HookName {
    /// Before `git push`.
    PrePush,
    /// Before `git commit`.
    PreCommit,
}

impl HookName {
    /// The hook's file name.
    pub fn file(self) -> &'static str {
        match self {
            HookName::PrePush => "pre-push",
            HookName::PreCommit => "pre-commit",
        }
    }
}

/// `devtop up` options.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Exit 0 once every server is ready and leave them running (without it, `up` stays in
    /// the foreground: it prints their logs, restarts `restart = "on-failure"` servers, and
    /// stops what it started on Ctrl-C, SIGTERM or SIGHUP).
    #[arg(long)]
    pub wait: bool,
    /// Only these servers (and the servers they depend on).
    #[arg(long, num_args = 1.., value_name = "NAME")]
    pub only: Vec<String>,
    /// Start servers whose `requires` do not hold (printed as a warning) instead of holding
    /// them.
    #[arg(long)]
    pub force: bool,
    /// When a server's port is taken by a process running that server's command in its cwd,
    /// adopt it (record it as the running server) instead of failing.
    #[arg(long, conflicts_with = "end_holder")]
    pub adopt: bool,
    /// When a server's port is taken, end the process holding it (SIGTERM, SIGKILL after 5 s;
    /// never another user's process) and start the server.
    #[arg(long)]
    pub end_holder: bool,
}

/// `devtop down` options.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Only these servers.
    #[arg(long, num_args = 1.., value_name = "NAME")]
    pub only: Vec<String>,
}

/// `devtop logs` options.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The server's name (as in devtop.toml).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Keep printing lines as they are appended, until Ctrl-C / SIGTERM.
    #[arg(short, long)]
    pub follow: bool,
    /// How many of the last lines to print first.
    #[arg(short = 'n', long, value_name = "LINES", default_value_t = 200)]
    pub lines: usize,
}

/// A `--pid` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PidArg {
    /// The PID.
    pub pid: u32,
    /// Expected start time in clock ticks since boot, when given.
    pub start_ticks: Option<u64>,
}

fn parse_pid_arg(s: &str) -> Result<PidArg, String> {
    let (pid, ticks) = match s.split_once('@') {
        Some((p, t)) => (p, Some(t)),
        None => (s, None),
    };
    let pid = pid
        .parse::<u32>()
        .map_err(|_| format!("`{s}` is not a PID (a positive integer, optionally @START_TICKS)"))?;
    let start_ticks = ticks
        .map(|t| {
            t.parse::<u64>()
                .map_err(|_| format!("`{t}` in `{s}` is not a start time in clock ticks"))
        })
        .transpose()?;
    Ok(PidArg { pid, start_ticks })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        let c = Cli::try_parse_from(["devtop", "status", "--json", "--scope", "project"]).unwrap();
        assert!(matches!(c.command, Some(Command::Status { json: true })));
        assert_eq!(c.common.scope, Some(ScopeArg::Project));
        let c = Cli::try_parse_from(["devtop", "kill", "--pid", "12", "34@999", "--yes"]).unwrap();
        let Some(Command::Kill(k)) = c.command else {
            panic!()
        };
        assert_eq!(
            k.pid,
            vec![
                PidArg {
                    pid: 12,
                    start_ticks: None
                },
                PidArg {
                    pid: 34,
                    start_ticks: Some(999)
                }
            ]
        );
        assert!(Cli::try_parse_from(["devtop", "kill"]).is_err());
        assert!(Cli::try_parse_from(["devtop", "kill", "--pid", "x"]).is_err());
        assert!(Cli::try_parse_from(["devtop", "--bogus"]).is_err());
        let c = Cli::try_parse_from(["devtop", "--refresh", "500ms"]).unwrap();
        assert_eq!(c.common.refresh, Some(Duration::from_millis(500)));
        assert!(Cli::try_parse_from(["devtop", "--refresh", "5ms"]).is_err());
        assert!(Cli::try_parse_from(["devtop", "--refresh", "soon"]).is_err());
        let c = Cli::try_parse_from(["devtop", "config", "--path", "--no-mouse"]).unwrap();
        assert!(matches!(c.command, Some(Command::Config { path: true })));
        assert!(c.common.no_mouse);
        assert!(Cli::try_parse_from(["devtop", "config"]).is_err());
    }
}
