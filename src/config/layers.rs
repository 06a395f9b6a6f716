//! Where the configuration comes from, in the order it applies: the per-user file
//! (`$XDG_CONFIG_HOME/devtop/config.toml`, else `~/.config/devtop/config.toml`) for one's own
//! defaults — no_color, mouse, refresh, thresholds — then the project's `devtop.toml` (or
//! `--config FILE`), each key it sets overriding the user's; the command line comes last.

use super::{Config, ConfigError, Machine};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Which layer a config file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The per-user file: defaults for every project.
    User,
    /// The project's `devtop.toml`, or the file named by `--config`.
    Project,
}

impl Layer {
    /// "user" or "project".
    pub fn label(self) -> &'static str {
        match self {
            Layer::User => "user",
            Layer::Project => "project",
        }
    }
}

/// One file devtop reads its configuration from, if it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Its layer.
    pub layer: Layer,
    /// Its path.
    pub path: PathBuf,
    /// Named by `--config`: it must exist.
    pub explicit: bool,
    /// Something is at the path (a missing file that is not explicit is skipped).
    pub exists: bool,
}

/// The per-user config file: `$XDG_CONFIG_HOME/devtop/config.toml` when `xdg_config_home` is
/// an absolute path (the XDG spec ignores a relative one), else
/// `$HOME/.config/devtop/config.toml`; `None` when neither variable helps.
pub fn user_config_path(
    xdg_config_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let base = xdg_config_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".config"))
        })?;
    Some(base.join("devtop").join("config.toml"))
}

/// The files that apply for project `root`, in order: the per-user file (from this process's
/// `XDG_CONFIG_HOME` / `HOME`), then `explicit` when given, else `<root>/devtop.toml`.
pub fn config_files(explicit: Option<&Path>, root: &Path) -> Vec<ConfigFile> {
    let user = user_config_path(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    );
    let project = explicit.map_or_else(|| root.join("devtop.toml"), Path::to_owned);
    let file = |layer, path: PathBuf, explicit| ConfigFile {
        layer,
        exists: std::fs::symlink_metadata(&path).is_ok(),
        path,
        explicit,
    };
    user.map(|p| file(Layer::User, p, false))
        .into_iter()
        .chain([file(Layer::Project, project, explicit.is_some())])
        .collect()
}

impl Config {
    /// The configuration for project `root`: the defaults, overridden by the per-user file
    /// and then by `explicit` (which must exist) or `<root>/devtop.toml`, each when present
    /// (see [`config_files`]). Each file is read with [`crate::bounded_read`] (regular file, at most
    /// [`crate::bounded_read::CONFIG_MAX`] bytes).
    ///
    /// # Errors
    /// [`ConfigError`] naming the file that cannot be read or is invalid (with line and
    /// column), be it the user's or the project's.
    pub fn load(explicit: Option<&Path>, root: &Path) -> Result<Config, ConfigError> {
        Config::load_files(&config_files(explicit, root), Machine::current())
    }

    /// The defaults overridden by each of `files` in turn (a missing one that is not
    /// explicit is skipped).
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_files(files: &[ConfigFile], machine: Machine) -> Result<Config, ConfigError> {
        files
            .iter()
            .filter(|f| f.exists || f.explicit)
            .try_fold(Config::default(), |base, f| base.overridden_by(f, machine))
    }

    /// This configuration overridden by file `f`.
    ///
    /// # Errors
    /// As [`Config::load`].
    fn overridden_by(&self, f: &ConfigFile, machine: Machine) -> Result<Config, ConfigError> {
        let text = super::load::read(&f.path)?;
        Config::parse_over(self, &text, &f.path, machine)
    }
}

/// `devtop config --path`: one line per file in the order they apply, saying whether it
/// applies, was not found, or is in error (the message names the file, line and column), then
/// a line on what overrides them, and the configured servers in start order when there are
/// any. The second value is true when a file is in error.
pub fn describe(files: &[ConfigFile], machine: Machine) -> (String, bool) {
    let mut out = String::new();
    let mut bad = false;
    let mut config = Config::default();
    for (i, f) in files.iter().enumerate() {
        let state = if !f.exists && !f.explicit {
            "not found, skipped".to_owned()
        } else {
            match config.overridden_by(f, machine) {
                Ok(c) => {
                    config = c;
                    "exists, applies".to_owned()
                }
                Err(e) => {
                    bad = true;
                    format!("error: {}", crate::sanitize::clean(&e.to_string()))
                }
            }
        };
        out.push_str(&format!(
            "{}. {:<8} {}  ({state})\n",
            i + 1,
            f.layer.label(),
            crate::sanitize::path(&f.path),
        ));
    }
    out.push_str(&format!(
        "{}. flags    --refresh, --scope, --no-mouse (and NO_COLOR) override the files\n",
        files.len() + 1
    ));
    if !bad && !config.servers.is_empty() {
        // Valid files give an order (cycles are config errors).
        let order = crate::model::server_order::start_order(&config.servers).unwrap_or_default();
        out.push_str(&format!(
            "servers, in start order: {}\n",
            crate::sanitize::clean(&order.join(", "))
        ));
    }
    (out, bad)
}

#[cfg(test)]
mod tests;
