//! Log rotation of server logs: copy-truncate, before every start ([`super::spawn`]) and
//! every second while a devtop supervises them.
//!
//! A server's stdout and stderr are the log file itself (opened `O_APPEND`, see
//! [`super::spawn`]), so the file cannot be renamed away from under it. When a log reaches
//! [`ROTATE_AT`] bytes it is copied to `<name>.log.1` (replacing the previous one) and then
//! truncated to 0; the server's next write lands at the new end thanks to `O_APPEND`. The
//! supervisor checks every second, so a file holds at most `ROTATE_AT` plus what the server
//! wrote in that second (a shell loop writing as fast as it can managed 20 MB in one), and
//! about twice that is kept per server. Lines written between the copy and the truncate
//! (microseconds) are lost, the known price of copy-truncate (logrotate's `copytruncate`).

use std::io;
use std::path::{Path, PathBuf};

/// Size at which a log is rotated: 10 MiB.
pub const ROTATE_AT: u64 = 10 * 1024 * 1024;
/// Environment variable lowering the rotation size, bytes (tests only).
const ROTATE_ENV: &str = "DEVTOP_TEST_ROTATE_BYTES";

/// The log size (bytes) at which a server's log is rotated: [`ROTATE_AT`], or
/// `DEVTOP_TEST_ROTATE_BYTES` in tests.
pub fn limit() -> u64 {
    std::env::var(ROTATE_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROTATE_AT)
}

/// `<log>.1`.
pub fn rotated_path(log: &Path) -> PathBuf {
    let mut name = log.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// Rotates `log` when it holds `limit` bytes or more (see the module docs). Returns true when
/// it was rotated; false when it is smaller or missing.
///
/// # Errors
/// The copy or the truncation failed (the log is then left as it was, or copied and not
/// truncated).
pub fn rotate_if_large(log: &Path, limit: u64) -> io::Result<bool> {
    let len = match std::fs::metadata(log) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if len < limit {
        return Ok(false);
    }
    std::fs::copy(log, rotated_path(log))?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(log)?
        .set_len(0)?;
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_large_log_is_copied_and_truncated_and_appends_go_to_the_new_end() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("api.log");
        assert!(!rotate_if_large(&log, 10).unwrap());
        // The writer holds an O_APPEND descriptor, like the server.
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&log)
            .unwrap();
        w.write_all(b"0123456789abc\n").unwrap();
        assert!(!rotate_if_large(&log, 100).unwrap());
        assert!(rotate_if_large(&log, 10).unwrap());
        assert_eq!(
            std::fs::read(rotated_path(&log)).unwrap(),
            b"0123456789abc\n"
        );
        w.write_all(b"next\n").unwrap();
        assert_eq!(std::fs::read(&log).unwrap(), b"next\n");
        assert_eq!(rotated_path(&log), dir.path().join("api.log.1"));
    }
}
