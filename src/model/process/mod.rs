//! One process as devtop shows it, and the classification of its role from name and argv.

use serde::Serialize;
use std::path::PathBuf;

/// What a process is for, judged from its argv (not just its name).
///
/// Serialized in kebab-case (`"prisma-migrate"`), the form used in `devtop status --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `prisma migrate dev|deploy|reset|resolve` (`migrate diff` reads only: prisma-other).
    PrismaMigrate,
    /// `prisma studio`.
    PrismaStudio,
    /// `prisma generate`.
    PrismaGenerate,
    /// `prisma db push|pull|seed|execute`.
    PrismaDb,
    /// Any other `prisma` subcommand (`migrate status`, `validate`, `format`, ...).
    PrismaOther,
    /// Prisma's Rust `schema-engine` binary (any platform suffix).
    SchemaEngine,
    /// `tsx` (including `tsx watch` and its loader child).
    Tsx,
    /// `vite` dev server or build.
    Vite,
    /// `next dev|build|start`.
    Next,
    /// `nodemon`.
    Nodemon,
    /// Package-manager and script-runner wrappers: npm, npx, pnpm, yarn, bun, concurrently
    /// (including npm's retitled `npm exec …` / `npm run …`).
    Npm,
    /// A shell that runs a command for a wrapper (`sh -c vite`, npm's script shell) or a
    /// subshell (`(cd api && npx tsx watch …) &`): part of a stack, never the tool it starts.
    Shell,
    /// Any other matched node process.
    Node,
    /// A descendant of a matched process that matches nothing itself (esbuild, sh, ...).
    Other,
}

impl Role {
    /// The kebab-case label shown in the UI and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Role::PrismaMigrate => "prisma-migrate",
            Role::PrismaStudio => "prisma-studio",
            Role::PrismaGenerate => "prisma-generate",
            Role::PrismaDb => "prisma-db",
            Role::PrismaOther => "prisma-other",
            Role::SchemaEngine => "schema-engine",
            Role::Tsx => "tsx",
            Role::Vite => "vite",
            Role::Next => "next",
            Role::Nodemon => "nodemon",
            Role::Npm => "npm",
            Role::Shell => "shell",
            Role::Node => "node",
            Role::Other => "other",
        }
    }

    /// True for the roles that run a migration (`prisma migrate ...` or `prisma db push`-like).
    pub fn is_migration(self) -> bool {
        matches!(self, Role::PrismaMigrate)
    }

    /// True for wrappers that only start other processes (npm/npx/pnpm/yarn/bun,
    /// concurrently, a script shell or subshell): a stack's upper part, not a dev tool.
    pub fn is_wrapper(self) -> bool {
        matches!(self, Role::Npm | Role::Shell)
    }
}

/// Why a process is in the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// Its name or an argv word matched.
    Matched,
    /// A descendant of a matched process (a `schema-engine` under `prisma migrate`).
    Descendant,
    /// A wrapper above a matched process (`npm run dev` → `sh -c vite` above `vite`): part of
    /// the dev stack, ended with it.
    Wrapper,
    /// An ancestor of a matched process, shown dimmed for context (a terminal's shell).
    Ancestor,
}

/// One process as shown: identity, classification and resource use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessInfo {
    /// Process ID.
    pub pid: u32,
    /// Parent PID (`/proc/<pid>/stat` field 4); `None` for PID 1 or when unknown.
    pub ppid: Option<u32>,
    /// Process name (`/proc/<pid>/comm`, at most 15 bytes).
    pub name: String,
    /// Role from argv, see [`Role`].
    pub role: Role,
    /// Why it is shown.
    pub relation: Relation,
    /// Scheduler state letter from `/proc/<pid>/stat`: R, S, D, Z, T, t, I, X.
    pub state: char,
    /// Start time, seconds since the Unix epoch.
    pub start_time: u64,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat` field 22): the identity used to
    /// refuse signalling a reused PID.
    pub start_ticks: u64,
    /// Age in seconds at the time of the snapshot.
    pub age_s: u64,
    /// CPU use over the last sampling interval, percent of one core (may exceed 100); 0 until
    /// [`ProcessInfo::cpu_sampled`].
    pub cpu_percent: f32,
    /// True once devtop has two CPU samples of this process, so `cpu_percent` is a measurement
    /// (readiness is per process: a process that just appeared shows "…", the others their
    /// figures).
    pub cpu_sampled: bool,
    /// Resident set size in bytes (`/proc/<pid>/statm` resident × page size).
    pub rss_bytes: u64,
    /// Working directory (`/proc/<pid>/cwd`), `None` when unreadable.
    pub cwd: Option<PathBuf>,
    /// Full argv (`/proc/<pid>/cmdline`).
    pub cmd: Vec<String>,
    /// Listening TCP ports (from /proc/net/tcp{,6} matched against the fd socket inodes).
    pub ports: Vec<u16>,
    /// `--max-old-space-size` in MiB when argv or NODE_OPTIONS sets it.
    pub max_old_space_mib: Option<u64>,
    /// The NODE_OPTIONS environment variable when set and readable.
    pub node_options: Option<String>,
    /// Real user ID of the owner.
    pub uid: Option<u32>,
    /// Process group ID (`/proc/<pid>/stat` field 5).
    pub pgrp: u32,
    /// Controlling terminal device number (`/proc/<pid>/stat` field 7); 0 = none.
    pub tty_nr: i32,
    /// Session ID (`/proc/<pid>/stat` field 6).
    pub sid: u32,
    /// False when the session's leader (the shell of a closed terminal) no longer exists.
    pub session_leader_alive: bool,
    /// Total CPU time used so far (utime + stime), seconds.
    pub cpu_time_s: f64,
    /// For a migrate run: the database it runs against as devtop can tell, `database
    /// <scheme>://<host>:<port>/<db>` (no credentials) from `DATABASE_URL` in its environment,
    /// else `project <dir>` (the nearest directory above its cwd with a Prisma schema, config or
    /// package.json). `None` for other processes.
    pub migrate_target: Option<String>,
}

impl ProcessInfo {
    /// Lifetime average CPU use: (utime + stime) / age, percent of one core.
    pub fn lifetime_cpu_percent(&self) -> f64 {
        if self.age_s == 0 {
            return 0.0;
        }
        self.cpu_time_s / self.age_s as f64 * 100.0
    }

    /// The argv joined with spaces, for one-line display.
    pub fn command_line(&self) -> String {
        if self.cmd.is_empty() {
            format!("[{}]", self.name)
        } else {
            self.cmd.join(" ")
        }
    }
}

/// Argv words of a process, splitting a single-string cmdline (a process that rewrote its
/// title, like npm's `npm run dev`) on whitespace.
pub fn argv_words(name: &str, cmd: &[String]) -> Vec<String> {
    match cmd {
        [] => name.split_whitespace().map(str::to_owned).collect(),
        [one] if one.contains(' ') => one.split_whitespace().map(str::to_owned).collect(),
        many => many.to_vec(),
    }
}

/// The stem of one argv word: the file name without directories and without a
/// `.js`/`.cjs`/`.mjs`/`.ts` extension (`/x/node_modules/vite/bin/vite.js` → `vite`).
pub fn word_stem(word: &str) -> &str {
    let base = word.rsplit('/').next().unwrap_or(word);
    for ext in [".js", ".cjs", ".mjs", ".ts", ".cmd", ".exe"] {
        if let Some(stem) = base.strip_suffix(ext) {
            return stem;
        }
    }
    base
}

/// What a name is an alias of: `next-server` (Next's retitled server) is `next`, `conc` is
/// `concurrently`; anything else is itself.
fn tool_alias(t: &str) -> &str {
    match t {
        _ if t.starts_with("next-server") || t.starts_with("next-router-worker") => "next",
        "conc" => "concurrently",
        _ => t,
    }
}

/// The package of a path inside `node_modules` (the last one, so pnpm's
/// `node_modules/.pnpm/prisma@7.1.0/node_modules/prisma/build/index.js` is `prisma`); a scoped
/// package keeps its scope (`@prisma/engines`). `None` outside `node_modules` or for `.bin`.
fn node_modules_package(word: &str) -> Option<&str> {
    let rest = word
        .rsplit("node_modules/")
        .next()
        .filter(|_| word.contains("node_modules/"))?;
    let mut parts = rest.splitn(3, '/');
    let first = parts
        .next()
        .filter(|p| !p.is_empty() && !p.starts_with('.'))?;
    if first.starts_with('@') {
        let second = parts.next().filter(|p| !p.is_empty())?;
        Some(&rest[..first.len() + 1 + second.len()])
    } else {
        Some(first)
    }
}

/// The tools a word names: its stem (aliases resolved), the package of a `node_modules/<pkg>/`
/// path in it, and for pnpm's store layout the `<pkg>@<ver>` directory's package.
fn word_tools(word: &str) -> impl Iterator<Item = &str> {
    let pkg = word.split("node_modules/").skip(1).filter_map(|rest| {
        let p = rest.split('/').next().unwrap_or("");
        (!p.is_empty() && !p.starts_with('.')).then_some(p)
    });
    std::iter::once(tool_alias(word_stem(word))).chain(pkg)
}

/// True when the argv word `word` names `tool`: by its stem (aliases resolved) or as a
/// package path inside `node_modules` (pnpm's
/// `node_modules/.pnpm/prisma@7.1.0/node_modules/prisma/build/index.js` names `prisma`).
pub fn word_names(word: &str, tool: &str) -> bool {
    word_tools(word).any(|t| t == tool)
}

/// True when the process matches one of `words` by its name or an argv word (stem or
/// `node_modules/<word>/` package path). `schema-engine` also matches platform-suffixed names;
/// `next` matches Next's retitled `next-server (v16.x)`.
pub fn matches_words(name: &str, cmd: &[String], words: &[String]) -> bool {
    let first = name.split_whitespace().next().unwrap_or(name);
    let hit = |t: &str| {
        words
            .iter()
            .any(|w| t == w || (w == "schema-engine" && t.starts_with("schema-engine")))
    };
    if hit(first) || hit(tool_alias(first)) {
        return true;
    }
    argv_words(name, cmd)
        .iter()
        .any(|word| word_tools(word).any(&hit))
}

const WRAPPERS: &[&str] = &[
    "npm",
    "npx",
    "pnpm",
    "pnpx",
    "yarn",
    "bun",
    "bunx",
    "npm-cli",
    "npx-cli",
    "concurrently",
];
const TOOLS: &[&str] = &["prisma", "tsx", "vite", "next", "nodemon"];
/// Program names of shells: with `-c` they run a wrapper's command line (role `shell`).
pub const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ash", "ksh", "mksh", "fish"];

/// True when `name` (a comm or argv\[0\], with or without directories or a login `-`) is a shell.
pub fn is_shell_name(name: &str) -> bool {
    let base = word_stem(name.trim_start_matches('-'));
    SHELLS.contains(&base)
}

/// Classify a process from its name and argv. Returns the role of the first tool word found
/// in argv order (so `npx prisma migrate dev` is the `npm` wrapper while the node process it
/// starts, `node …/.bin/prisma migrate dev`, is `prisma-migrate`); a shell running a command
/// (`sh -c vite`) is `shell`, never the tool it starts; `Node` when nothing more specific is
/// found.
pub fn classify(name: &str, cmd: &[String]) -> Role {
    let words = argv_words(name, cmd);
    let first = name.split_whitespace().next().unwrap_or(name);
    let argv0 = words.first().map_or(first, |w| word_stem(w));
    if first.starts_with("schema-engine") || argv0.starts_with("schema-engine") {
        return Role::SchemaEngine;
    }
    if tool_alias(first) == "next" || tool_alias(argv0) == "next" {
        return Role::Next;
    }
    let shell_c = words.iter().skip(1).any(|w| {
        w == "-c" || (w.starts_with('-') && !w.starts_with("--") && w.len() <= 4 && w.contains('c'))
    });
    if (is_shell_name(argv0) || (words.is_empty() && is_shell_name(first))) && shell_c {
        return Role::Shell;
    }
    for (i, word) in words.iter().enumerate() {
        if i > 0 && word.starts_with('-') && !word.contains('/') {
            continue;
        }
        for tool in word_tools(word) {
            if WRAPPERS.contains(&tool) {
                return Role::Npm;
            }
            if TOOLS.contains(&tool) {
                return tool_role(tool, &words[i + 1..]);
            }
        }
    }
    if WRAPPERS.contains(&first) {
        return Role::Npm;
    }
    Role::Node
}

/// [`classify`] for a process seen on its own (a port's holder), as the process list shows it
/// with the default match words: `Other` for what is neither `node` nor a dev tool, wrapper
/// or shell (`python3 -m http.server`, nginx) instead of [`classify`]'s `Node` fallback.
pub fn classify_alone(name: &str, cmd: &[String]) -> Role {
    match classify(name, cmd) {
        Role::Node if !matches_words(name, cmd, &["node".to_owned()]) => Role::Other,
        r => r,
    }
}

/// One argv word as the COMMAND column shows it: a long path keeps the words a person
/// recognises — the package inside `node_modules` (`…/.bin/prisma`,
/// `…/prisma/build/index.js`, pnpm's store included) or else its last two parts.
fn short_word(w: &str) -> String {
    if !w.contains('/') || w.chars().count() <= 24 {
        return w.to_owned();
    }
    if let Some(rest) = w
        .rsplit("node_modules/")
        .next()
        .filter(|_| w.contains("node_modules/"))
    {
        let pkg_parts = if node_modules_package(w).is_some_and(|p| p.starts_with('@')) {
            2
        } else {
            1
        };
        let parts: Vec<&str> = rest.split('/').collect();
        return if parts.len() <= pkg_parts + 2 {
            format!("…/{rest}")
        } else {
            format!(
                "…/{}/…/{}",
                parts[..pkg_parts].join("/"),
                parts.last().copied().unwrap_or("")
            )
        };
    }
    let parts: Vec<&str> = w.rsplitn(3, '/').collect();
    match parts.as_slice() {
        [last, mid, _] => format!("…/{mid}/{last}"),
        _ => w.to_owned(),
    }
}

/// The command as the COMMAND column shows it: argv\[0\] by its name, long paths shortened to
/// the words a person recognises, and a retitled single-string argv (npm's
/// `npm exec tsx watch src/index.ts`) split into its words first. `[name]` without argv.
pub fn display_command(name: &str, cmd: &[String]) -> String {
    let words = if cmd.is_empty() {
        Vec::new()
    } else {
        argv_words(name, cmd)
    };
    if words.is_empty() {
        return format!("[{name}]");
    }
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                w.rsplit('/').next().unwrap_or(w).to_owned()
            } else {
                short_word(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn tool_role(tool: &str, rest: &[String]) -> Role {
    match tool {
        "prisma" => prisma_role(rest),
        "tsx" => Role::Tsx,
        "vite" => Role::Vite,
        "next" => Role::Next,
        _ => Role::Nodemon,
    }
}

fn prisma_role(rest: &[String]) -> Role {
    let mut sub = rest
        .iter()
        .filter(|w| !w.starts_with('-'))
        .map(String::as_str);
    match (sub.next(), sub.next()) {
        // `migrate diff` only reads and takes no lock: not a migration run.
        (Some("migrate"), Some("dev" | "deploy" | "reset" | "resolve")) => Role::PrismaMigrate,
        (Some("studio"), _) => Role::PrismaStudio,
        (Some("generate"), _) => Role::PrismaGenerate,
        (Some("db"), Some("push" | "pull" | "seed" | "execute")) => Role::PrismaDb,
        _ => Role::PrismaOther,
    }
}

/// `--max-old-space-size=N` (MiB) from argv words or a NODE_OPTIONS value; the last one wins,
/// as in node.
pub fn max_old_space_mib(cmd: &[String], node_options: Option<&str>) -> Option<u64> {
    let from = |w: &str| {
        w.strip_prefix("--max-old-space-size=")
            .or_else(|| w.strip_prefix("--max_old_space_size="))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let in_argv = cmd.iter().rev().find_map(|w| from(w));
    let in_env = node_options.and_then(|o| o.split_whitespace().rev().find_map(from));
    in_argv.or(in_env)
}

#[cfg(test)]
mod tests;
