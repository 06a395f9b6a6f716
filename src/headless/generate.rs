//! `devtop completions SHELL` and `devtop man`: shell completion scripts and the man page,
//! generated from the clap definitions in [`crate::cli`] (clap_complete, clap_mangen), so they
//! always match the flags and subcommands that parse.

use crate::cli::Cli;
use clap::CommandFactory;
pub use clap_complete::Shell;

/// The completion script for `shell` (bash, zsh, fish, elvish, powershell), as text.
pub fn completions(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "devtop", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Sections of the man page that clap does not know: files, environment, exit status.
const MAN_EXTRA: &str = r#".SH FILES
.TP
\fI$XDG_CONFIG_HOME/devtop/config.toml\fR (else \fI~/.config/devtop/config.toml\fR)
Per\-user defaults for every project (no_color, mouse, refresh, thresholds).
.TP
\fI<project>/devtop.toml\fR (or \fB\-\-config\fR \fIFILE\fR)
The project's configuration; each key it sets overrides the per\-user file's.
\fBdevtop config \-\-path\fR lists the files that apply.
.SH ENVIRONMENT
.TP
\fBNO_COLOR\fR
Set and not empty: draw without colour (as \fBno_color = true\fR).
.TP
\fBDATABASE_URL\fR and the \fBurl_env\fR variables of \fB[[database]]\fR
Database URLs (also read from the project's .env and prisma/.env), never from a config file.
.SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
A command's outcome failed: a kill target was refused or survived; migrations pending,
failed or unreadable; a database unreachable.
.TP
\fB2\fR
Bad input: an unknown flag, an invalid config file (named with line and column), a missing
project directory, no terminal for the dashboard.
.TP
\fB128+n\fR
The dashboard was ended by signal \fIn\fR (129 also when its terminal went away); the
terminal is restored first.
"#;

/// The man page `devtop(1)` in roff: name, synopsis, description, options, subcommands,
/// files, environment, exit status, version.
///
/// # Errors
/// A message when clap_mangen cannot render (it writes into memory, so only on a bug).
pub fn man_page() -> Result<String, String> {
    // NAME reads "devtop \- <about>": the about without its leading "devtop — ".
    let cmd = Cli::command();
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    let about = about.trim_start_matches("devtop — ").to_owned();
    let man = clap_mangen::Man::new(cmd.about(about));
    let mut out = Vec::new();
    let fail = |e: std::io::Error| format!("cannot render the man page: {e}");
    man.render_title(&mut out).map_err(fail)?;
    man.render_name_section(&mut out).map_err(fail)?;
    man.render_synopsis_section(&mut out).map_err(fail)?;
    man.render_description_section(&mut out).map_err(fail)?;
    man.render_options_section(&mut out).map_err(fail)?;
    man.render_subcommands_section(&mut out).map_err(fail)?;
    out.extend_from_slice(MAN_EXTRA.as_bytes());
    man.render_version_section(&mut out).map_err(fail)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBCOMMANDS: &[&str] = &[
        "status",
        "migrations",
        "kill",
        "demo",
        "config",
        "completions",
        "man",
    ];

    #[test]
    fn every_shell_completes_every_subcommand() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = completions(shell);
            for sub in SUBCOMMANDS {
                assert!(script.contains(sub), "{shell}: {sub} missing");
            }
            assert!(script.contains("no-mouse"), "{shell}: a global flag");
        }
        // Shell-specific shapes: a bash function, a zsh #compdef, fish `complete -c`.
        assert!(completions(Shell::Bash).contains("_devtop()"));
        assert!(completions(Shell::Zsh).starts_with("#compdef devtop"));
        assert!(completions(Shell::Fish).contains("complete -c devtop"));
    }

    #[test]
    fn man_page_is_roff_with_every_subcommand() {
        let page = man_page().expect("render");
        assert!(
            page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH devtop 1"),
            "{page}"
        );
        assert!(page.contains(".TH devtop 1"), "{page}");
        assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
        for sub in SUBCOMMANDS {
            assert!(
                page.contains(&format!("devtop\\-{sub}")),
                "{sub} missing:\n{page}"
            );
        }
        assert!(page.contains("no\\-mouse"), "{page}");
    }
}
