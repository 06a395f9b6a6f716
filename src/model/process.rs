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
    /// Package-manager wrappers: npm, npx, pnpm, yarn, bun.
    Npm,
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
            Role::Node => "node",
            Role::Other => "other",
        }
    }

    /// True for the roles that run a migration (`prisma migrate ...` or `prisma db push`-like).
    pub fn is_migration(self) -> bool {
        matches!(self, Role::PrismaMigrate)
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
    /// An ancestor of a matched process, shown dimmed for context (`npm run dev`, a shell).
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
    /// CPU use over the last sampling interval, percent of one core (may exceed 100).
    pub cpu_percent: f32,
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

/// The tool a word names: its stem, or the package of a `node_modules/<pkg>/` path in it.
fn word_tools(word: &str) -> impl Iterator<Item = &str> {
    let pkg = word.split("node_modules/").skip(1).filter_map(|rest| {
        let p = rest.split('/').next().unwrap_or("");
        (!p.is_empty() && !p.starts_with('.')).then_some(p)
    });
    std::iter::once(word_stem(word)).chain(pkg)
}

/// True when the process matches one of `words` by its name or an argv word (stem or
/// `node_modules/<word>/` package path). `schema-engine` also matches platform-suffixed names.
pub fn matches_words(name: &str, cmd: &[String], words: &[String]) -> bool {
    let first = name.split_whitespace().next().unwrap_or(name);
    let hit = |t: &str| {
        words
            .iter()
            .any(|w| t == w || (w == "schema-engine" && t.starts_with("schema-engine")))
    };
    if hit(first) {
        return true;
    }
    argv_words(name, cmd)
        .iter()
        .any(|word| word_tools(word).any(&hit))
}

const WRAPPERS: &[&str] = &[
    "npm", "npx", "pnpm", "pnpx", "yarn", "bun", "bunx", "npm-cli",
];
const TOOLS: &[&str] = &["prisma", "tsx", "vite", "next", "nodemon"];

/// Classify a process from its name and argv. Returns the role of the first tool word found
/// in argv order (so `npx prisma migrate dev` is the `npm` wrapper while the node process it
/// starts, `node …/.bin/prisma migrate dev`, is `prisma-migrate`); `Node` when nothing more
/// specific is found.
pub fn classify(name: &str, cmd: &[String]) -> Role {
    let words = argv_words(name, cmd);
    let first = name.split_whitespace().next().unwrap_or(name);
    if first.starts_with("schema-engine")
        || words
            .first()
            .is_some_and(|w| word_stem(w).starts_with("schema-engine"))
    {
        return Role::SchemaEngine;
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

/// An argv word with the password of any `scheme://user:password@host` URL in it replaced by
/// `***` (`prisma migrate diff --from-url postgresql://app:pw@db/app` is shown and exported as
/// `postgresql://app:***@db/app`).
pub fn mask_url_password(word: &str) -> String {
    let Some(scheme_end) = word.find("://") else {
        return word.to_owned();
    };
    let rest = &word[scheme_end + 3..];
    let Some(at) = rest.find('@') else {
        return word.to_owned();
    };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) if !userinfo[..colon].contains('/') => format!(
            "{}{}:***{}",
            &word[..scheme_end + 3],
            &userinfo[..colon],
            &rest[at..]
        ),
        _ => word.to_owned(),
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn role(name: &str, cmd: &str) -> Role {
        classify(name, &argv(cmd))
    }

    #[test]
    fn prisma_subcommands() {
        let bin = "node /app/node_modules/.bin/prisma";
        assert_eq!(
            role("node", &format!("{bin} migrate dev --name add_uuid")),
            Role::PrismaMigrate
        );
        assert_eq!(
            role("node", &format!("{bin} migrate deploy")),
            Role::PrismaMigrate
        );
        assert_eq!(
            role("node", &format!("{bin} migrate reset --force")),
            Role::PrismaMigrate
        );
        assert_eq!(
            role("node", &format!("{bin} migrate resolve --applied x")),
            Role::PrismaMigrate
        );
        assert_eq!(
            role("node", &format!("{bin} migrate diff --from-empty")),
            Role::PrismaOther
        );
        assert_eq!(
            role("node", &format!("{bin} migrate status")),
            Role::PrismaOther
        );
        assert_eq!(
            role("node", &format!("{bin} studio --port 5555")),
            Role::PrismaStudio
        );
        assert_eq!(
            role("node", &format!("{bin} generate")),
            Role::PrismaGenerate
        );
        assert_eq!(role("node", &format!("{bin} db push")), Role::PrismaDb);
        assert_eq!(role("node", &format!("{bin} db pull")), Role::PrismaDb);
        assert_eq!(role("node", &format!("{bin} db seed")), Role::PrismaDb);
        assert_eq!(
            role("node", &format!("{bin} db execute --file x.sql")),
            Role::PrismaDb
        );
        assert_eq!(role("node", &format!("{bin} validate")), Role::PrismaOther);
        assert_eq!(
            role(
                "node",
                "node /app/node_modules/prisma/build/index.js migrate dev"
            ),
            Role::PrismaMigrate
        );
    }

    #[test]
    fn schema_engine_by_name_or_argv0() {
        assert_eq!(role("schema-engine", ""), Role::SchemaEngine);
        assert_eq!(
            role(
                "schema-engine-d",
                "/app/node_modules/@prisma/engines/schema-engine-debian-openssl-3.0.x --datamodels x"
            ),
            Role::SchemaEngine
        );
    }

    #[test]
    fn wrappers_are_npm_not_what_they_run() {
        assert_eq!(
            role("node", "node /usr/bin/npx prisma migrate dev"),
            Role::Npm
        );
        assert_eq!(role("npm run dev", "npm run dev"), Role::Npm);
        assert_eq!(
            classify("npm run dev", &["npm run dev".to_owned()]),
            Role::Npm
        );
        assert_eq!(
            role("node", "node /usr/lib/node_modules/pnpm/bin/pnpm.cjs dev"),
            Role::Npm
        );
        assert_eq!(role("bun", "bun run dev"), Role::Npm);
    }

    #[test]
    fn dev_servers() {
        assert_eq!(
            role("node", "node /app/node_modules/.bin/tsx watch src/index.ts"),
            Role::Tsx
        );
        assert_eq!(
            role(
                "node",
                "node --require /app/node_modules/tsx/dist/preflight.cjs --import file:///app/node_modules/tsx/dist/loader.mjs src/index.ts"
            ),
            Role::Tsx
        );
        assert_eq!(
            role("node", "node /app/node_modules/.bin/vite --port 3011"),
            Role::Vite
        );
        assert_eq!(
            role("node", "node /app/node_modules/vite/bin/vite.js"),
            Role::Vite
        );
        assert_eq!(
            role("next-server (v1", "node /app/node_modules/.bin/next dev"),
            Role::Next
        );
        assert_eq!(
            role("node", "node /app/node_modules/.bin/nodemon src/x.js"),
            Role::Nodemon
        );
        assert_eq!(role("node", "node server.js"), Role::Node);
        assert_eq!(
            role("node", "node --max-old-space-size=4096 dist/main.js"),
            Role::Node
        );
    }

    #[test]
    fn matching_words() {
        let words: Vec<String> = ["node", "prisma", "tsx", "vite", "schema-engine"]
            .map(String::from)
            .to_vec();
        assert!(matches_words("node", &argv("node x.js"), &words));
        assert!(matches_words(
            "schema-engine-d",
            &argv("/x/schema-engine-debian"),
            &words
        ));
        assert!(matches_words(
            "MainThread",
            &argv("/app/node_modules/.bin/vite"),
            &words
        ));
        assert!(!matches_words("bash", &argv("bash"), &words));
        assert!(!matches_words("vim", &argv("vim node.txt"), &words));
        assert!(!matches_words("sleep", &argv("sleep 100"), &words));
    }

    #[test]
    fn url_passwords_are_masked_in_argv() {
        assert_eq!(
            mask_url_password("--from-url=postgresql://app:s3cret@db:5432/app"),
            "--from-url=postgresql://app:***@db:5432/app"
        );
        assert_eq!(mask_url_password("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(mask_url_password("src/index.ts"), "src/index.ts");
        assert_eq!(
            mask_url_password("https://example.com/a@b"),
            "https://example.com/a@b"
        );
    }

    #[test]
    fn max_old_space() {
        assert_eq!(
            max_old_space_mib(&argv("node --max-old-space-size=4096 x"), None),
            Some(4096)
        );
        assert_eq!(
            max_old_space_mib(
                &argv("node x"),
                Some("--enable-source-maps --max-old-space-size=2048")
            ),
            Some(2048)
        );
        assert_eq!(max_old_space_mib(&argv("node x"), Some("--inspect")), None);
        assert_eq!(max_old_space_mib(&argv("node x"), None), None);
    }
}
