//! The per-user file under the project's: where it is, how keys override, which file an
//! error names, and what `config --path` says.
#![allow(clippy::unwrap_used)]

use super::*;
use std::time::Duration;

fn machine() -> Machine {
    Machine {
        mem_total: Some(16 << 30),
        cpus: 4,
    }
}

/// A user file and a project file in a temp dir (either may be absent: `None`).
struct Files {
    _dir: tempfile::TempDir,
    user: PathBuf,
    project: PathBuf,
}

impl Files {
    fn new(user: Option<&str>, project: Option<&str>) -> Files {
        let dir = tempfile::tempdir().unwrap();
        let user_path = dir.path().join("xdg/devtop/config.toml");
        let project_path = dir.path().join("app/devtop.toml");
        for (path, text) in [(&user_path, user), (&project_path, project)] {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if let Some(t) = text {
                std::fs::write(path, t).unwrap();
            }
        }
        Files {
            _dir: dir,
            user: user_path,
            project: project_path,
        }
    }

    fn list(&self) -> Vec<ConfigFile> {
        [(Layer::User, &self.user), (Layer::Project, &self.project)]
            .into_iter()
            .map(|(layer, p)| ConfigFile {
                layer,
                path: p.clone(),
                explicit: false,
                exists: p.exists(),
            })
            .collect()
    }

    fn load(&self) -> Result<Config, ConfigError> {
        Config::load_files(&self.list(), machine())
    }
}

#[test]
fn user_file_location() {
    let p = |x: Option<&str>, h: Option<&str>| {
        user_config_path(x.map(OsString::from), h.map(OsString::from))
    };
    assert_eq!(
        p(Some("/xdg"), Some("/home/me")),
        Some(PathBuf::from("/xdg/devtop/config.toml"))
    );
    assert_eq!(
        p(Some("relative/xdg"), Some("/home/me")),
        Some(PathBuf::from("/home/me/.config/devtop/config.toml")),
        "a relative XDG_CONFIG_HOME is ignored"
    );
    assert_eq!(
        p(None, Some("/home/me")),
        Some(PathBuf::from("/home/me/.config/devtop/config.toml"))
    );
    assert_eq!(p(None, None), None);
    assert_eq!(p(Some(""), None), None);
}

#[test]
fn project_keys_override_user_keys_one_by_one() {
    let f = Files::new(
        Some(
            "refresh = \"2s\"\nmouse = false\nno_color = true\n\
             [memory]\nwarn_available = \"2GiB\"\n\
             [processes]\nextra = [\"next\"]\n\
             [[database]]\nname = \"staging\"\nurl_env = \"USER_STAGING_URL\"\n",
        ),
        Some(
            "refresh = \"500ms\"\n\
             [memory]\ncritical_available = \"1536MiB\"\n\
             [processes]\nextra = [\"nodemon\"]\n\
             [[database]]\nname = \"staging\"\nurl_env = \"STAGING_DATABASE_URL\"\n\
             [[database]]\nname = \"production\"\nurl_env = \"PRODUCTION_DATABASE_URL\"\n",
        ),
    );
    let c = f.load().unwrap();
    assert_eq!(c.refresh, Duration::from_millis(500), "project wins");
    assert!(!c.mouse, "user's, the project leaves it out");
    assert!(c.no_color);
    assert_eq!(c.memory.warn_available_bytes, 2 << 30, "user's");
    assert_eq!(c.memory.critical_available_bytes, 1536 << 20, "project's");
    // 1.5 GiB is only valid below the user's 2 GiB warn level (the default is 1 GiB).
    assert!(c.match_words.contains(&"next".to_owned()));
    assert!(c.match_words.contains(&"nodemon".to_owned()));
    let dbs: Vec<(&str, &str)> = c
        .databases
        .iter()
        .map(|d| (d.name.as_str(), d.url_env.as_str()))
        .collect();
    assert_eq!(
        dbs,
        [
            ("staging", "STAGING_DATABASE_URL"),
            ("production", "PRODUCTION_DATABASE_URL")
        ]
    );
    assert_eq!(c.sources, [f.user.clone(), f.project.clone()]);
    // Only the user file: its values over the defaults.
    let f = Files::new(Some("refresh = \"3s\"\n"), None);
    let c = f.load().unwrap();
    assert_eq!(c.refresh, Duration::from_secs(3));
    assert_eq!(c.sources, std::slice::from_ref(&f.user));
    // Neither: the defaults.
    assert_eq!(Files::new(None, None).load().unwrap(), Config::default());
}

#[test]
fn errors_name_the_file_they_are_in() {
    let f = Files::new(Some("mouse = true\nrefresh = \"1ms\"\n"), Some(""));
    let e = f.load().unwrap_err().to_string();
    let want = format!("{}:2:11:", f.user.display());
    assert!(e.starts_with(&want), "{e}");
    assert!(e.contains("between 100ms and 1h"), "{e}");
    let f = Files::new(Some("mouse = \"yes\"\n"), None);
    let e = f.load().unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}:1:", f.user.display())), "{e}");
    let f = Files::new(Some("colour = false\n"), None);
    let e = f.load().unwrap_err().to_string();
    assert!(e.contains("unknown field `colour`"), "{e}");
    // A relation broken across the files: the project's value is named, and where the other
    // one came from.
    let f = Files::new(
        Some("[memory]\nwarn_available = \"2GiB\"\n"),
        Some("[memory]\ncritical_available = \"3GiB\"\n"),
    );
    let e = f.load().unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}:2:22:", f.project.display())),
        "{e}"
    );
    let origin = format!("2.0 GiB, as set in {}", f.user.display());
    assert!(e.contains(&origin), "{e}");
}

#[test]
fn config_path_lists_the_files_in_order() {
    let f = Files::new(None, Some("refresh = \"2s\"\n"));
    let (text, bad) = describe(&f.list(), machine());
    assert!(!bad);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("1. user     {}  (not found, skipped)", f.user.display())
    );
    assert_eq!(
        lines[1],
        format!("2. project  {}  (exists, applies)", f.project.display())
    );
    assert!(lines[2].starts_with("3. flags "), "{text}");
    assert_eq!(lines.len(), 3, "no servers, no line for them: {text}");
    let f = Files::new(
        None,
        Some(
            "[[server]]\nname = \"web\"\ncmd = [\"vite\"]\ndepends_on = [\"api\"]\n[[server]]\nname = \"api\"\ncmd = [\"tsx\"]\n",
        ),
    );
    let (text, bad) = describe(&f.list(), machine());
    assert!(!bad, "{text}");
    assert_eq!(
        text.lines().nth(3),
        Some("servers, in start order: api, web"),
        "{text}"
    );
    let f = Files::new(Some("refresh = soon\n"), Some("refresh = \"2s\"\n"));
    let (text, bad) = describe(&f.list(), machine());
    assert!(bad);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains(&format!("(error: {}:1:", f.user.display())),
        "{text}"
    );
    assert!(text.contains("(exists, applies)"), "{text}");
}

#[test]
fn an_explicit_file_must_exist() {
    let f = Files::new(None, None);
    let mut files = f.list();
    files[1].explicit = true;
    assert!(matches!(
        Config::load_files(&files, machine()),
        Err(ConfigError::Read { path, .. }) if path == f.project
    ));
}
