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
}
