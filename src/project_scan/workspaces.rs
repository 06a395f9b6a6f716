//! Workspace folders: the `packages:` list of pnpm-workspace.yaml (a tiny reader of just
//! that list) and the expansion of patterns like `apps/*`, `packages/**` or `!apps/old`
//! into the folders under the project root that hold a package.json.

use std::path::{Path, PathBuf};

/// At most this many workspace folders are proposed (a pattern like `**` in a huge tree
/// must not make `devtop init` crawl it).
pub const MAX_WORKSPACES: usize = 200;
/// `**` descends at most this many folders.
const MAX_DEPTH: usize = 4;

/// The `packages:` list of pnpm-workspace.yaml `text`: block form (`- 'apps/*'` lines under
/// `packages:`) or flow form (`packages: ['apps/*', "packages/*"]`). Quotes and trailing
/// `# comments` are removed; other keys (`catalog:`, ...) are ignored.
pub fn pnpm_packages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let content = strip_comment(line);
        if content.trim().is_empty() {
            continue;
        }
        let indented = content.starts_with([' ', '\t']);
        if !indented {
            inside = false;
            if let Some(rest) = content.strip_prefix("packages:") {
                let rest = rest.trim();
                if let Some(flow) = rest.strip_prefix('[') {
                    let flow = flow.trim_end().trim_end_matches(']');
                    out.extend(flow.split(',').map(unquote).filter(|s| !s.is_empty()));
                } else {
                    inside = rest.is_empty();
                }
            }
            continue;
        }
        if inside && let Some(item) = content.trim().strip_prefix('-') {
            let item = unquote(item);
            if !item.is_empty() {
                out.push(item);
            }
        }
    }
    out
}

/// `line` up to a `#` that starts a comment (outside quotes, after a space or at the start).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && prev.is_whitespace() => return &line[..i],
            None => {}
        }
        prev = c;
    }
    line
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let inner = s
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
        .unwrap_or(s);
    inner.trim().to_owned()
}

/// Does one path segment `name` match glob segment `pattern` (`*` any run of characters,
/// `?` one character, everything else literal)?
pub fn segment_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// Does relative path `rel` (segments joined by `/`) match `pattern` (`**` = any number of
/// segments)?
pub fn path_matches(pattern: &str, rel: &str) -> bool {
    fn go(p: &[&str], n: &[&str]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((&"**", rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((seg, rest)) => n
                .split_first()
                .is_some_and(|(first, tail)| segment_matches(seg, first) && go(rest, tail)),
        }
    }
    let p: Vec<&str> = segments(pattern).collect();
    let n: Vec<&str> = segments(rel).collect();
    go(&p, &n)
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty() && *s != ".")
}

/// The folders under `root` (relative, `/`-separated, sorted, root itself excluded) that
/// match one of `patterns`, match no `!pattern`, and hold a package.json. Hidden folders
/// and node_modules are never entered; at most [`MAX_WORKSPACES`].
pub fn expand(root: &Path, patterns: &[String]) -> Vec<String> {
    let (excludes, includes): (Vec<&String>, Vec<&String>) =
        patterns.iter().partition(|p| p.starts_with('!'));
    let mut candidates = Vec::new();
    walk(root, "", 0, &mut candidates);
    candidates
        .into_iter()
        .filter(|rel| includes.iter().any(|p| path_matches(p, rel)))
        .filter(|rel| !excludes.iter().any(|p| path_matches(&p[1..], rel)))
        .filter(|rel| root.join(rel).join("package.json").is_file())
        .take(MAX_WORKSPACES)
        .collect()
}

/// Every folder below `dir` up to [`MAX_DEPTH`] (bounded by a total of 20 × the workspace
/// cap), relative to the root, in sorted order.
fn walk(root: &Path, rel: &str, depth: usize, out: &mut Vec<String>) {
    if depth >= MAX_DEPTH || out.len() >= MAX_WORKSPACES * 20 {
        return;
    }
    let dir: PathBuf = root.join(rel);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && n != "node_modules")
        .collect();
    names.sort();
    for name in names {
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        out.push(child.clone());
        walk(root, &child, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pnpm_block_and_flow() {
        let yaml = "# workspace\npackages:\n  - 'apps/*'\n  - \"packages/*\" # libs\n  - tools\n  - '!**/test/**'\ncatalog:\n  react: ^18\n";
        assert_eq!(
            pnpm_packages(yaml),
            ["apps/*", "packages/*", "tools", "!**/test/**"]
        );
        assert_eq!(
            pnpm_packages("packages: ['apps/*', \"libs/*\"]\n"),
            ["apps/*", "libs/*"]
        );
        assert!(pnpm_packages("onlyBuiltDependencies:\n  - esbuild\n").is_empty());
    }

    #[test]
    fn globs() {
        assert!(segment_matches("*", "web"));
        assert!(segment_matches("app-*", "app-web"));
        assert!(!segment_matches("app-*", "web"));
        assert!(path_matches("apps/*", "apps/web"));
        assert!(!path_matches("apps/*", "apps/web/src"));
        assert!(path_matches("packages/**", "packages/a/b"));
        assert!(path_matches("./apps/web", "apps/web"));
        assert!(path_matches("**/test/**", "apps/test"));
    }

    #[test]
    fn expand_finds_package_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for d in [
            "apps/web",
            "apps/api",
            "apps/old",
            "apps/empty",
            "apps/node_modules/x",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
            if d != "apps/empty" {
                std::fs::write(root.join(d).join("package.json"), "{}").unwrap();
            }
        }
        let got = expand(root, &["apps/*".into(), "!apps/old".into()]);
        assert_eq!(got, ["apps/api", "apps/web"]);
    }
}
