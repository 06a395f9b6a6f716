//! The servers devtop started, as the memory guard needs them: each recorded server's leader
//! PID, which is also its process group and session ID (`.devtop/state.json`, read without
//! rewriting it). The guard never ends anything in them.

use crate::collect::server_state as state;
use crate::model::guard::ServerGroup;
use std::path::Path;

/// The recorded servers of the project at `root`; empty when there is no state file or it
/// cannot be read (nothing recorded means nothing to spare, and the guard still never ends a
/// process that is not a dev-tool suspect).
pub fn read(root: &Path) -> Vec<ServerGroup> {
    state::read(root)
        .map(|s| {
            s.servers
                .into_iter()
                .filter(|r| r.pid > 1 && (r.adopted || r.pgid == r.pid))
                .map(|r| ServerGroup {
                    name: r.name,
                    pgid: r.pid,
                    group: !r.adopted,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// [`read`] for a collector's every pass: the state file is re-read only when it changed
/// (another inode, size or mtime, from one `stat`; its writers replace it by rename), else the
/// servers read last time are kept.
#[derive(Debug, Default)]
pub struct Watch {
    root: std::path::PathBuf,
    seen: Option<Option<(u64, u64, i64, i64)>>,
    groups: Vec<ServerGroup>,
}

impl Watch {
    /// The recorded servers of the project at `root` now (see [`read`]).
    pub fn servers(&mut self, root: &Path) -> &[ServerGroup] {
        use std::os::unix::fs::MetadataExt;
        let key = std::fs::metadata(state::path(root))
            .ok()
            .map(|m| (m.ino(), m.size(), m.mtime(), m.mtime_nsec()));
        if self.root != root || self.seen != Some(key) {
            self.root = root.to_owned();
            self.seen = Some(key);
            self.groups = read(root);
        }
        &self.groups
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::server_state::{Recorded, State};

    fn recorded(name: &str, pid: u32) -> Recorded {
        Recorded {
            name: name.into(),
            pid,
            pgid: pid,
            start_ticks: 1,
            port: None,
            started_unix: 1,
            adopted: false,
            ready_after_ms: None,
        }
    }

    #[test]
    fn reads_the_recorded_servers_leaders() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_empty());
        let odd = Recorded {
            pgid: 49,
            ..recorded("odd", 50)
        };
        let adopted = Recorded {
            pgid: 70,
            adopted: true,
            ..recorded("web", 77)
        };
        let state = State {
            version: 1,
            servers: vec![recorded("api", 4242), odd, adopted],
            ..State::default()
        };
        std::fs::create_dir_all(dir.path().join(state::STATE_DIR)).unwrap();
        std::fs::write(
            state::path(dir.path()),
            serde_json::to_string(&state).unwrap(),
        )
        .unwrap();
        assert_eq!(
            read(dir.path()),
            vec![
                ServerGroup {
                    name: "api".into(),
                    pgid: 4242,
                    group: true
                },
                ServerGroup {
                    name: "web".into(),
                    pgid: 77,
                    group: false
                }
            ]
        );
    }

    #[test]
    fn the_watch_rereads_only_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Watch::default();
        assert!(w.servers(dir.path()).is_empty());
        let write = |servers: Vec<Recorded>| {
            let state = State {
                version: 1,
                servers,
                ..State::default()
            };
            std::fs::create_dir_all(dir.path().join(state::STATE_DIR)).unwrap();
            let tmp = dir.path().join(state::STATE_DIR).join("tmp");
            std::fs::write(&tmp, serde_json::to_string(&state).unwrap()).unwrap();
            std::fs::rename(&tmp, state::path(dir.path())).unwrap();
        };
        write(vec![recorded("api", 4242)]);
        assert_eq!(w.servers(dir.path()).len(), 1);
        write(vec![recorded("api", 4242), recorded("web", 4343)]);
        assert_eq!(w.servers(dir.path()).len(), 2);
        std::fs::remove_file(state::path(dir.path())).unwrap();
        assert!(w.servers(dir.path()).is_empty());
    }
}
