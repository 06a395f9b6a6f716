//! The Prisma schema's [`SchemaStamp`]: what schema.prisma (or each `.prisma` file of a
//! schema folder) holds, as a hash per file, so a drift diff taken for one schema is not
//! reused after the schema was edited. Reads files only (bounded), never parses them.

use crate::bounded_read::{SCHEMA_MAX, read_chunks};
use crate::model::cli_diff::SchemaStamp;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// Folder levels searched below a schema folder (as the project reader does).
const MAX_DEPTH: usize = 8;

/// The stamp of the schema at `path`: the file itself, or for a folder every `.prisma` file
/// below it (hidden entries and `migrations/` left out, as the project reader does), sorted by
/// path. A missing path gives an empty stamp; an unreadable file a `None` hash.
pub fn read(path: &Path) -> SchemaStamp {
    let mut files = Vec::new();
    if path.is_dir() {
        prisma_files(path, 0, &mut files);
        files.sort();
    } else if path.exists() {
        files.push(path.to_owned());
    }
    SchemaStamp(
        files
            .into_iter()
            .map(|f| {
                let hash = hash_of(&f);
                (f, hash)
            })
            .collect(),
    )
}

/// [`read`] on a blocking thread (for async callers).
pub async fn read_async(path: PathBuf) -> SchemaStamp {
    let fallback = path.clone();
    tokio::task::spawn_blocking(move || read(&path))
        .await
        .unwrap_or_else(|_| read(&fallback))
}

/// A hash of the bytes of `file` (at most [`SCHEMA_MAX`]), `None` when it cannot be read.
fn hash_of(file: &Path) -> Option<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    read_chunks(file, SCHEMA_MAX, |chunk| h.write(chunk)).ok()?;
    Some(h.finish())
}

/// The `.prisma` files below `dir` (not in hidden entries or `migrations/`), into `out`.
fn prisma_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if name != "migrations" {
                prisma_files(&path, depth + 1, out);
            }
        } else if path.extension().is_some_and(|e| e == "prisma") {
            out.push(path);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// An edit of schema.prisma changes its stamp; reading it again without an edit does not.
    #[test]
    fn an_edit_of_the_schema_file_changes_the_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("schema.prisma");
        std::fs::write(&file, "model A {\n  id Int @id\n}\n").unwrap();
        let before = read(&file);
        assert_eq!(before.0.len(), 1);
        assert!(before.0[0].1.is_some());
        assert_eq!(read(&file), before, "unchanged");
        // Same length, one character different.
        std::fs::write(&file, "model B {\n  id Int @id\n}\n").unwrap();
        assert_ne!(read(&file), before, "edited");
        assert_eq!(
            read(&dir.path().join("gone.prisma")),
            SchemaStamp::default()
        );
    }

    /// A schema folder: editing, adding or removing a `.prisma` file changes the stamp; a
    /// migration (under `migrations/`) or another kind of file does not.
    #[test]
    fn a_schema_folder_is_stamped_per_prisma_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("schema");
        std::fs::create_dir_all(root.join("models")).unwrap();
        std::fs::create_dir_all(root.join("migrations/1_init")).unwrap();
        std::fs::write(root.join("schema.prisma"), "datasource db {}\n").unwrap();
        std::fs::write(root.join("models/a.prisma"), "model A { id Int @id }\n").unwrap();
        let before = read(&root);
        assert_eq!(before.0.len(), 2, "{before:?}");
        std::fs::write(root.join("migrations/1_init/migration.sql"), "SELECT 1;").unwrap();
        std::fs::write(root.join("notes.md"), "x").unwrap();
        assert_eq!(read(&root), before, "not schema files");
        std::fs::write(
            root.join("models/a.prisma"),
            "model A { id Int @id @default(1) }\n",
        )
        .unwrap();
        let edited = read(&root);
        assert_ne!(edited, before, "edited");
        std::fs::write(root.join("models/b.prisma"), "model B { id Int @id }\n").unwrap();
        let added = read(&root);
        assert_ne!(added, edited, "added");
        std::fs::remove_file(root.join("models/b.prisma")).unwrap();
        assert_eq!(read(&root), edited, "removed again");
    }
}
