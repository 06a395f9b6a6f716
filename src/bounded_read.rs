//! The one way devtop reads a file it did not write (devtop.toml, `.env`, schema.prisma,
//! prisma.config.ts, package.json, migration_lock.toml, migration.sql): only regular files,
//! never more than a cap per kind of file, with errors that name the file.
//!
//! A repository can commit `.env -> /dev/zero`, a FIFO or a multi-gigabyte file. Special files
//! (FIFO, character or block device, socket, directory) are refused after `stat`, before they
//! are opened; the file is then opened with `O_NONBLOCK` (so a FIFO swapped in between cannot
//! block the open) and checked again with `fstat`. Reads stop one byte past the cap, so a file
//! that grows while it is read, or whose size `stat` does not report, is refused too.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Cap for devtop.toml (bytes).
pub const CONFIG_MAX: u64 = 1 << 20;
/// Cap for a `.env` file (bytes).
pub const DOTENV_MAX: u64 = 1 << 20;
/// Cap for one schema.prisma file (bytes); the largest public schemas are a few MiB.
pub const SCHEMA_MAX: u64 = 16 << 20;
/// Cap for prisma.config.ts (bytes).
pub const CONFIG_TS_MAX: u64 = 1 << 20;
/// Cap for package.json (bytes).
pub const PACKAGE_JSON_MAX: u64 = 4 << 20;
/// Cap for migration_lock.toml (bytes).
pub const LOCK_TOML_MAX: u64 = 64 << 10;
/// Cap for one migration.sql (bytes). It is hashed in chunks, never held in memory whole.
pub const MIGRATION_SQL_MAX: u64 = 256 << 20;

/// Why a file could not be read. `Display` names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Nothing at that path (or a dangling symlink).
    #[error("{}: not found", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// A directory, FIFO, device or socket (symlinks are followed first).
    #[error("{}: refused: {kind}, not a regular file", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// "a directory", "a FIFO", "a character device", "a block device", "a socket".
        kind: &'static str,
    },
    /// Larger than the cap for this kind of file.
    #[error("{}: refused: larger than {} (the limit for this file)", path.display(), human(*limit))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap, bytes.
        limit: u64,
    },
    /// Not valid UTF-8 (for text files).
    #[error("{}:{line}: not UTF-8 text", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
    },
    /// Any other I/O error ("permission denied", ...).
    #[error("{}: unreadable: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Short lowercase reason, see [`io_reason`].
        reason: String,
    },
}

impl ReadError {
    /// The same error for display with another name for the file (e.g. relative to the
    /// project root).
    pub fn with_path(self, shown: &Path) -> ReadError {
        let path = shown.to_owned();
        match self {
            ReadError::NotFound { .. } => ReadError::NotFound { path },
            ReadError::NotRegular { kind, .. } => ReadError::NotRegular { path, kind },
            ReadError::TooLarge { limit, .. } => ReadError::TooLarge { path, limit },
            ReadError::NotUtf8 { line, .. } => ReadError::NotUtf8 { path, line },
            ReadError::Io { reason, .. } => ReadError::Io { path, reason },
        }
    }

    /// The message without the file name: "not found", "refused: a FIFO, not a regular file",
    /// "unreadable: permission denied", ...
    pub fn reason(&self) -> String {
        let full = self.to_string();
        let name = match self {
            ReadError::NotFound { path }
            | ReadError::NotRegular { path, .. }
            | ReadError::TooLarge { path, .. }
            | ReadError::NotUtf8 { path, .. }
            | ReadError::Io { path, .. } => path.display().to_string(),
        };
        full.strip_prefix(&name)
            .map(|r| r.trim_start_matches([':', ' ']).to_owned())
            .unwrap_or(full)
    }
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// An io::Error as a short lowercase reason without the OS error number: "permission denied",
/// "is a directory".
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = match s.find(" (os error") {
        Some(i) => s.get(..i).unwrap_or(&s).to_owned(),
        None => s,
    };
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => s,
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> ReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ReadError::NotFound {
            path: path.to_owned(),
        }
    } else {
        ReadError::Io {
            path: path.to_owned(),
            reason: io_reason(e),
        }
    }
}

fn special_kind(ft: std::fs::FileType) -> Option<&'static str> {
    if ft.is_file() {
        None
    } else if ft.is_dir() {
        Some("a directory")
    } else if ft.is_fifo() {
        Some("a FIFO")
    } else if ft.is_char_device() {
        Some("a character device")
    } else if ft.is_block_device() {
        Some("a block device")
    } else if ft.is_socket() {
        Some("a socket")
    } else {
        Some("not a file")
    }
}

/// Opens `path` for reading if it is a regular file of at most `limit` bytes.
fn open_capped(path: &Path, limit: u64) -> Result<File, ReadError> {
    let check = |meta: std::fs::Metadata| -> Result<(), ReadError> {
        if let Some(kind) = special_kind(meta.file_type()) {
            return Err(ReadError::NotRegular {
                path: path.to_owned(),
                kind,
            });
        }
        if meta.len() > limit {
            return Err(ReadError::TooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        Ok(())
    };
    check(std::fs::metadata(path).map_err(|e| io_error(path, &e))?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| io_error(path, &e))?;
    check(file.metadata().map_err(|e| io_error(path, &e))?)?;
    Ok(file)
}

/// The bytes of the regular file `path`, at most `limit` of them.
///
/// # Errors
/// [`ReadError`]: not found, not a regular file, larger than `limit`, or an I/O error.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    read_chunks(path, limit, |chunk| out.extend_from_slice(chunk))?;
    Ok(out)
}

/// The text of the regular file `path` (UTF-8, at most `limit` bytes). A leading BOM is kept.
///
/// # Errors
/// As [`read_bytes`], plus [`ReadError::NotUtf8`] with the line of the first bad byte.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e
            .as_bytes()
            .get(..valid)
            .map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1);
        ReadError::NotUtf8 {
            path: path.to_owned(),
            line,
        }
    })
}

/// Feeds the regular file `path` to `each` in chunks of up to 64 KiB, refusing it (before or
/// while reading) when it holds more than `limit` bytes. Nothing is kept in memory.
///
/// # Errors
/// As [`read_bytes`]; `each` may have seen a prefix of the file when the cap is hit mid-way.
pub fn read_chunks(path: &Path, limit: u64, mut each: impl FnMut(&[u8])) -> Result<(), ReadError> {
    let file = open_capped(path, limit)?;
    let mut reader = file.take(limit.saturating_add(1));
    let mut buf = vec![0u8; 64 << 10];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(path, &e)),
        };
        total += n as u64;
        if total > limit {
            return Err(ReadError::TooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        if let Some(chunk) = buf.get(..n) {
            each(chunk);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "hello\n").unwrap();
        assert_eq!(read_text(&p, 6).unwrap(), "hello\n");
        let e = read_text(&p, 5).unwrap_err();
        assert_eq!(
            e,
            ReadError::TooLarge {
                path: p.clone(),
                limit: 5
            }
        );
        assert!(e.to_string().starts_with(&p.display().to_string()), "{e}");
        assert!(e.to_string().contains("larger than 5 bytes"), "{e}");
    }

    #[test]
    fn refuses_devices_fifos_directories_and_symlinks_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join(".env");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read_text(&link, DOTENV_MAX).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::NotRegular {
                    kind: "a character device",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains(".env: refused"), "{e}");
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // Would block forever in a plain open(): refused without opening.
        assert!(matches!(
            read_bytes(&fifo, 10),
            Err(ReadError::NotRegular { kind: "a FIFO", .. })
        ));
        assert!(matches!(
            read_bytes(dir.path(), 10),
            Err(ReadError::NotRegular {
                kind: "a directory",
                ..
            })
        ));
        assert!(matches!(
            read_bytes(&dir.path().join("missing"), 10),
            Err(ReadError::NotFound { .. })
        ));
    }

    #[test]
    fn not_utf8_names_the_line_and_reason_drops_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("schema.prisma");
        std::fs::write(&p, b"ok\nstill ok\n\xff\n").unwrap();
        let e = read_text(&p, 100).unwrap_err();
        assert_eq!(e.to_string(), format!("{}:3: not UTF-8 text", p.display()));
        let shown = e.with_path(Path::new("prisma/schema.prisma"));
        assert_eq!(shown.to_string(), "prisma/schema.prisma:3: not UTF-8 text");
        let missing = read_text(&dir.path().join("nope"), 1).unwrap_err();
        assert_eq!(missing.reason(), "not found");
    }

    #[test]
    fn chunks_stop_at_the_cap_for_files_without_a_size() {
        // /proc files report size 0 but have content: the read itself is capped.
        let e = read_bytes(Path::new("/proc/self/maps"), 16).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { limit: 16, .. }), "{e}");
    }
}
