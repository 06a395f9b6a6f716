//! The servers devtop started, as the memory guard needs them: each recorded server's leader
//! PID, which is also its process group and session ID (`.devtop/state.json`, read without
//! rewriting it). The guard never ends anything in them.

use crate::effects::servers::state;
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
    use crate::effects::servers::state::{Recorded, State, write};

    #[test]
    fn reads_the_recorded_servers_leaders() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_empty());
        let odd = Recorded {
            pgid: 49,
            ..Recorded::started("odd", 50, 1, None)
        };
        let adopted = Recorded {
            pgid: 70,
            adopted: true,
            ..Recorded::started("web", 77, 1, None)
        };
        let lock = crate::effects::servers::lock::try_acquire(dir.path(), "test").unwrap();
        write(
            &lock,
            dir.path(),
            &State {
                version: 1,
                servers: vec![Recorded::started("api", 4242, 1, None), odd, adopted],
                ..State::default()
            },
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
