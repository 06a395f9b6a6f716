//! Who holds the target's migrate lock, in the words of the watchdog's report ("lock held by
//! pid 4242"): one read-only query on a connection of its own (PostgreSQL advisory lock
//! 72707369 in `pg_locks`, MySQL `IS_USED_LOCK('prisma_migrate')`, as preflight check 9 reads
//! it), the holder's session mapped to the local process by its client port when both ends
//! are on loopback. SQLite has no such lock: no note.

use crate::db::url::DbUrl;
use crate::model::db_health::LockHolder;
use crate::model::provider::Provider;
use std::time::Duration;

/// Bound of the whole read (connect, query, close).
const LIMIT: Duration = Duration::from_secs(8);

/// "lock held by pid 4242", "lock held by session 812 from 10.0.0.5", "lock not held",
/// "lock unknown (…)"; `None` for SQLite.
pub async fn note(url: &DbUrl) -> Option<String> {
    if url.provider == Provider::Sqlite {
        return None;
    }
    let read = async {
        let db = crate::db::connect::connect(url, crate::collect::databases::TIMEOUT).await?;
        let lock = crate::db::lock::migrate_lock(&db).await;
        let local = match &lock {
            Ok(Some(l)) => crate::collect::databases::local_holder(url, l).await,
            _ => None,
        };
        db.close().await;
        lock.map(|l| (l, local))
    };
    Some(match tokio::time::timeout(LIMIT, read).await {
        Ok(Ok((lock, local))) => describe(lock.as_ref(), local),
        Ok(Err(e)) => format!("lock unknown ({})", e.kind.plain()),
        Err(_) => format!("lock unknown (no answer within {} s)", LIMIT.as_secs()),
    })
}

/// The note for a read lock: the local PID when known, else the session and where it
/// connects from.
pub fn describe(lock: Option<&LockHolder>, local_pid: Option<u32>) -> String {
    match (lock, local_pid) {
        (None, _) => "lock not held".into(),
        (Some(_), Some(pid)) => format!("lock held by pid {pid}"),
        (Some(l), None) => {
            let (session, from) = session_from(l);
            format!("lock held by session {session}{from}")
        }
    }
}

/// A lock holder's session (`"?"` when unknown) and `" from ADDR"` (empty when unknown), as
/// the lock lines name them.
pub fn session_from(l: &LockHolder) -> (String, String) {
    let session = l.pid.map_or_else(|| "?".to_owned(), |p| p.to_string());
    let from = l
        .client_addr
        .as_deref()
        .map(|a| format!(" from {}", crate::sanitize::clean(a)))
        .unwrap_or_default();
    (session, from)
}
