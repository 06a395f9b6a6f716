//! `devtop down [--only NAME…]`: stop the recorded servers in reverse start order (see
//! [`crate::effects::servers::down`]), printing each step as `devtop up` does
//! ([`super::servers`]).
//!
//! An `--only` name that is neither configured nor recorded is a usage error (exit 2, the
//! configured names listed), as for `up`. Stopping some servers while servers that depend on
//! them keep running is allowed, with a warning naming those.
//!
//! It takes the state-file lock (waiting up to 2 s); when another devtop keeps it because it
//! supervises the servers (a dashboard, a foreground `up`), it asks that devtop to let go of
//! them and stops them from here ([`crate::effects::servers::stop_request`]).

use super::out;
use super::servers::{LOCK_WAIT, now, print};
use crate::app::executor;
use crate::cli::DownArgs;
use crate::effects::servers::{lock, state};
use crate::model::server_order::dependents;
use crate::sanitize::clean;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};

/// `devtop down`. Returns the exit code.
pub async fn down(setup: &Setup, args: &DownArgs) -> i32 {
    let only = (!args.only.is_empty()).then_some(args.only.as_slice());
    let specs = &setup.config.servers;
    // Read without the lock: only to check the names and warn.
    let live = state::read_live(&setup.root)
        .map(|(l, _)| l)
        .unwrap_or_default();
    if let Some(names) = only {
        let known =
            |n: &String| specs.iter().any(|s| s.name == *n) || live.iter().any(|r| r.name == *n);
        if let Some(bad) = names.iter().find(|n| !known(n)) {
            let all: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            out::error(&format!(
                "--only {bad}: no server has this name (configured: {})",
                if all.is_empty() {
                    "none".to_owned()
                } else {
                    all.join(", ")
                }
            ));
            return EXIT_USAGE;
        }
        let left: Vec<&str> = dependents(specs, names)
            .into_iter()
            .filter(|d| live.iter().any(|r| r.name == *d))
            .collect();
        if !left.is_empty() {
            out::error(&format!(
                "warning: left running, although they depend on what this stops: {} \
                 (add them to --only to stop them too)",
                left.join(", ")
            ));
        }
    }
    let stopped = match lock::acquire(&setup.root, "down", LOCK_WAIT).await {
        Ok(lock) => executor::servers_down(&setup.root, &lock, specs, only, &mut print).await,
        Err(lock::LockError::Held { holder }) => {
            // Another devtop supervises them: it is asked to let go, they are stopped here.
            let who = holder.map_or_else(
                || "another devtop".to_owned(),
                |(pid, what)| format!("devtop PID {pid} ({})", clean(&what)),
            );
            out::line(&format!(
                "{} {who} supervises the servers: asking it to let go, stopping them from here",
                now()
            ));
            executor::servers_down_beside(&setup.root, specs, only, &mut print).await
        }
        Err(e) => {
            out::error(&e.to_string());
            return EXIT_FAILURE;
        }
    };
    match stopped {
        Ok(true) => EXIT_OK,
        Ok(false) => EXIT_FAILURE,
        Err(e) => {
            out::error(&format!("state file: {e}"));
            EXIT_FAILURE
        }
    }
}
