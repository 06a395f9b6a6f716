//! A real `npm run dev` with vite (from the real-stack fixture, `target/js-fixture`) started
//! by `devtop up --wait` and stopped by `devtop down`: npm, its `sh -c` and node vite all end.
//! Skipped with the reason printed when node/npm or the registry are unavailable (fails
//! instead with `DEVTOP_REQUIRE_DB=1`).
//!
//! Safety: the [`Servers`] guard SIGKILLs every process of the session devtop reported
//! starting, also when the test fails.

use crate::servers_up::{Servers, free_port, gone};
use devtop::collect::server_members::scan;

#[test]
fn npm_run_dev_with_vite_is_started_and_stopped_by_up_and_down() {
    let test = "npm_run_dev_with_vite_is_started_and_stopped_by_up_and_down";
    let Some(modules) = crate::real_stack::tools(test) else {
        return;
    };
    let port = free_port();
    let mut s = Servers::new(&format!(
        "[[server]]\nname = \"web\"\ncmd = [\"npm\", \"run\", \"dev\"]\nport = {port}\n\
         ready = {{ http = \"http://127.0.0.1:{port}/\" }}\nready_timeout = \"90s\"\n"
    ));
    s.write(
        "package.json",
        &format!(
            "{{\"name\": \"vite-up\", \"private\": true, \"type\": \"module\", \"scripts\": \
             {{\"dev\": \"vite --host 127.0.0.1 --port {port} --strictPort\"}}}}\n"
        ),
    );
    s.write("index.html", "<!doctype html><title>up</title>\n");
    std::os::unix::fs::symlink(modules, s.root().join("node_modules")).expect("link");
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert!(up.stdout.contains("web ready after"), "{up}");
    let rec = s.recorded();
    assert_eq!(rec.len(), 1, "{rec:?}");
    let members = scan(&rec[0]);
    let vite = members
        .iter()
        .any(|m| crate::common::cmdline(m.pid).is_ok_and(|c| c.iter().any(|w| w.contains("vite"))));
    assert!(vite, "no vite process among {members:?}: {up}");
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    for m in &members {
        assert!(gone(m.pid), "{} survived down: {down}", m.pid);
    }
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(s.recorded().is_empty());
}
