//! The memory guard's alert: a terminal bell and a desktop notification through
//! `notify-send` (libnotify) where it is installed. Run by the executor, never by a renderer.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// How long `notify-send` may take before it is abandoned (and killed).
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// Ring the terminal bell (BEL on stdout). A stdout that cannot be written is ignored.
pub fn bell() {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
}

/// `notify-send` on `PATH`, if any.
pub fn notify_send_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("notify-send"))
        .find(|p| p.is_file())
}

/// Text for a notification: control characters escaped, and `&`, `<`, `>` escaped since
/// notification servers read the body as markup.
fn notification_text(s: &str) -> String {
    crate::sanitize::clean(&crate::redact::text(s))
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Send a critical-urgency desktop notification through `notify-send`, when it exists.
/// Returns `Ok(false)` without one, `Ok(true)` once it ran.
///
/// # Errors
/// `notify-send` failed to start, exited non-zero, or took more than 5 s.
pub async fn notify(summary: &str, body: &str) -> Result<bool, String> {
    let Some(cmd) = notify_send_path() else {
        return Ok(false);
    };
    let mut child = tokio::process::Command::new(&cmd)
        .args(["-u", "critical", "-a", "devtop"])
        .arg(notification_text(summary))
        .arg(notification_text(body))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", cmd.display()))?;
    match tokio::time::timeout(NOTIFY_TIMEOUT, child.wait()).await {
        Ok(Ok(st)) if st.success() => Ok(true),
        Ok(Ok(st)) => Err(format!("{} ended with {st}", cmd.display())),
        Ok(Err(e)) => Err(format!("{}: {e}", cmd.display())),
        Err(_) => Err(format!("{} did not finish within 5 s", cmd.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_bytes_are_escaped() {
        assert_eq!(
            notification_text("<b>x</b> & \u{1b}[2J"),
            "&lt;b&gt;x&lt;/b&gt; &amp; \\x1b[2J"
        );
    }
}
