//! The project's package manager: from the lockfile at the root, else from package.json's
//! `packageManager` field. Pure.

/// A JavaScript package manager that runs package.json scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// npm (package-lock.json).
    Npm,
    /// pnpm (pnpm-lock.yaml).
    Pnpm,
    /// Yarn, classic or berry (yarn.lock).
    Yarn,
    /// Bun (bun.lockb, bun.lock).
    Bun,
}

/// Lockfile names in the order they are tried, with the manager each means.
pub const LOCKFILES: [(&str, Manager); 5] = [
    ("package-lock.json", Manager::Npm),
    ("pnpm-lock.yaml", Manager::Pnpm),
    ("yarn.lock", Manager::Yarn),
    ("bun.lockb", Manager::Bun),
    ("bun.lock", Manager::Bun),
];

impl Manager {
    /// The program to run: `npm`, `pnpm`, `yarn` or `bun`.
    pub fn program(self) -> &'static str {
        match self {
            Manager::Npm => "npm",
            Manager::Pnpm => "pnpm",
            Manager::Yarn => "yarn",
            Manager::Bun => "bun",
        }
    }

    /// argv that runs package.json script `script` in the current directory, e.g.
    /// `["pnpm", "run", "dev"]`.
    pub fn run_argv(self, script: &str) -> Vec<String> {
        vec![self.program().into(), "run".into(), script.into()]
    }

    /// The manager named by a `packageManager` field such as `pnpm@9.1.0` (`None` for
    /// anything else).
    pub fn from_field(field: &str) -> Option<Manager> {
        let name = field.split('@').next().unwrap_or("").trim();
        match name {
            "npm" => Some(Manager::Npm),
            "pnpm" => Some(Manager::Pnpm),
            "yarn" => Some(Manager::Yarn),
            "bun" => Some(Manager::Bun),
            _ => None,
        }
    }
}

/// The first lockfile of [`LOCKFILES`] for which `present` says yes, with its manager.
pub fn from_lockfiles(present: impl Fn(&str) -> bool) -> Option<(Manager, &'static str)> {
    LOCKFILES
        .iter()
        .find(|(file, _)| present(file))
        .map(|&(file, m)| (m, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfiles_decide() {
        assert_eq!(
            from_lockfiles(|f| f == "pnpm-lock.yaml"),
            Some((Manager::Pnpm, "pnpm-lock.yaml"))
        );
        assert_eq!(
            from_lockfiles(|f| f == "bun.lock"),
            Some((Manager::Bun, "bun.lock"))
        );
        assert_eq!(from_lockfiles(|_| false), None);
    }

    #[test]
    fn package_manager_field() {
        assert_eq!(Manager::from_field("yarn@4.1.0"), Some(Manager::Yarn));
        assert_eq!(Manager::from_field("bun"), Some(Manager::Bun));
        assert_eq!(Manager::from_field("deno@2"), None);
        assert_eq!(Manager::Npm.run_argv("dev"), ["npm", "run", "dev"]);
    }
}
