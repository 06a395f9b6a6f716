//! `devtop completions SHELL` and `devtop man` through the binary: exit 0 with the script or
//! page on stdout, written exactly; an unknown shell is bad input (exit 2). They need no
//! project and no valid config.

use crate::common;

use common::run_devtop;

#[test]
fn completions_and_man_page_print_without_a_project() {
    for (shell, shape) in [
        ("bash", "complete -F _devtop"),
        ("zsh", "#compdef devtop"),
        ("fish", "complete -c devtop"),
    ] {
        let run = run_devtop(["completions", shell, "--project", "/nonexistent"]);
        assert_eq!(run.code, Some(0), "{run}");
        assert!(run.stdout.contains(shape), "{shell}: {run}");
        for sub in ["status", "migrations", "kill", "demo", "config", "man"] {
            assert!(run.stdout.contains(sub), "{shell}: {sub} missing");
        }
        assert!(run.stderr.is_empty(), "{run}");
    }
    let run = run_devtop(["man"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.starts_with(".ie \\n(.g .ds Aq"), "{run}");
    assert!(run.stdout.contains(".TH devtop 1"), "{run}");
    let run = run_devtop(["completions", "tcsh"]);
    assert_eq!(run.code, Some(2), "{run}");
}
