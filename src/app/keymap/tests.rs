use super::*;
use crossterm::event::KeyModifiers;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

#[test]
fn readme_lists_every_binding() {
    let readme = include_str!("../../../README.md");
    for b in BINDINGS {
        let prefix = match b.context.place() {
            "" => String::new(),
            place => format!("({place}) "),
        };
        let row = format!("| `{}` | {prefix}{} |", b.label, b.desc);
        assert!(readme.contains(&row), "README.md lacks the key row: {row}");
    }
    // …and no row for a key that is gone.
    let section = readme
        .split("## Keys")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_default();
    let rows = section.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, BINDINGS.len(), "README's key table has stale rows");
}

#[test]
fn no_duplicate_keys() {
    assert_eq!(duplicates(), vec![]);
}

#[test]
fn context_decides() {
    assert_eq!(
        resolve(key(Char('y')), Context::Confirm),
        Some(Intent::Confirm)
    );
    assert_eq!(resolve(key(Char('y')), Context::Main), None);
    assert_eq!(resolve(key(Enter), Context::Main), Some(Intent::Details));
    assert_eq!(resolve(key(Enter), Context::Confirm), Some(Intent::Confirm));
    assert_eq!(resolve(key(Char('x')), Context::Popup), None);
    assert_eq!(
        resolve(
            KeyEvent::new(Char('c'), KeyModifiers::CONTROL),
            Context::Popup
        ),
        Some(Intent::Quit)
    );
    assert_eq!(
        resolve(key(Char('K')), Context::Main),
        Some(Intent::KillSuspects)
    );
    for (code, intent) in [
        (F(1), Intent::Help),
        (F(3), Intent::Search),
        (F(4), Intent::Filter),
        (F(5), Intent::ToggleTree),
        (F(6), Intent::SortNext),
        (F(9), Intent::KillSelected),
        (F(10), Intent::Quit),
    ] {
        assert_eq!(resolve(key(code), Context::Main), Some(intent), "{code:?}");
    }
}

#[test]
fn typing_contexts_leave_characters_to_the_line() {
    for ctx in [Context::Search, Context::Filter, Context::MigrateName] {
        for c in ['a', 'q', 'k', '/', '?', 'y', 'n'] {
            assert_eq!(resolve(key(Char(c)), ctx), None, "{ctx:?} {c}");
        }
        assert_eq!(resolve(key(Enter), ctx), Some(Intent::Confirm));
        assert_eq!(resolve(key(Esc), ctx), Some(Intent::Cancel));
        assert_eq!(
            resolve(KeyEvent::new(Char('c'), KeyModifiers::CONTROL), ctx),
            Some(Intent::Quit)
        );
    }
    assert_eq!(resolve(key(F(3)), Context::Search), Some(Intent::Search));
    assert_eq!(
        resolve(key(Char('j')), Context::Migrate),
        Some(Intent::Down)
    );
}
