//! Translation of Prisma's own URL query parameters into what sqlx understands (PostgreSQL and
//! MySQL); see the parent module's docs.

use super::resolve;
use std::path::Path;
use url::Url;

/// What the translation of a URL's query keeps for sqlx, drops, and the PostgreSQL schema.
#[derive(Default)]
pub(super) struct Translated {
    /// Parameters handed to sqlx, in order.
    pub(super) pairs: Vec<(String, String)>,
    /// Parameters not passed through verbatim (see `DbUrl::dropped`).
    pub(super) dropped: Vec<String>,
    /// PostgreSQL `schema` (Prisma's), for `search_path`.
    pub(super) schema: Option<String>,
}

impl Translated {
    fn drop_param(&mut self, name: &str) {
        if !self.dropped.iter().any(|d| d == name) {
            self.dropped.push(name.to_owned());
        }
    }
}

/// PostgreSQL: keep what sqlx understands, translate Prisma's SSL parameters.
///
/// Prisma (quaint `connector/postgres/url.rs`) reads `sslcert` as the *server CA* file, not a
/// client certificate, and defaults `sslaccept` to `accept_invalid_certs`.
pub(super) fn translate_postgres(url: &Url, schema_dir: &Path, t: &mut Translated) {
    let mut ssl_mode: Option<String> = None;
    let mut ssl_accept: Option<String> = None;
    let mut pgbouncer = false;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "schema" => {
                t.schema = Some(v.into_owned());
                t.drop_param("schema");
            }
            "sslmode" | "ssl-mode" => {
                let mode = v.to_ascii_lowercase();
                if matches!(
                    mode.as_str(),
                    "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full"
                ) {
                    ssl_mode = Some(mode);
                } else {
                    // Prisma falls back to `prefer` for unknown modes; so does sqlx by default.
                    t.drop_param(&k);
                }
            }
            "sslcert" => {
                let path = resolve(schema_dir, &v);
                t.pairs
                    .push(("sslrootcert".into(), path.to_string_lossy().into_owned()));
                t.drop_param("sslcert");
            }
            "sslaccept" => {
                ssl_accept = Some(v.into_owned());
                t.drop_param("sslaccept");
            }
            "pgbouncer" => {
                pgbouncer = v.eq_ignore_ascii_case("true");
                t.drop_param("pgbouncer");
            }
            // libpq-style parameters sqlx understands: passed through verbatim.
            "sslrootcert" | "sslkey" | "host" | "hostaddr" | "port" | "user" | "password"
            | "dbname" | "application_name" | "options" => {
                t.pairs.push((k.into_owned(), v.into_owned()));
            }
            // Prisma-only (connection_limit, pool_timeout, socket_timeout, connect_timeout,
            // statement_cache_size, sslidentity, sslpassword, channel_binding, ...) or unknown.
            other => t.drop_param(other),
        }
    }
    if t.schema.is_none() {
        t.schema = Some("public".into());
    }
    let accept = ssl_accept.as_deref();
    if accept == Some("strict") && ssl_mode.as_deref() == Some("require") {
        // Prisma's strict mode verifies the certificate chain and the host name.
        ssl_mode = Some("verify-full".into());
    } else if accept.is_some_and(|a| a != "strict")
        && matches!(ssl_mode.as_deref(), Some("verify-ca" | "verify-full"))
    {
        // accept_invalid_certs (Prisma's default): encrypt but don't verify.
        ssl_mode = Some("require".into());
    }
    if let Some(mode) = ssl_mode {
        t.pairs.push(("sslmode".into(), mode));
    }
    if pgbouncer {
        // PgBouncer in transaction mode cannot keep named prepared statements.
        t.pairs
            .push(("statement-cache-capacity".into(), "0".into()));
    }
}

/// MySQL: Prisma (quaint `connector/mysql/url.rs`) turns TLS on as soon as any of `sslcert`,
/// `sslidentity`, `sslpassword`, `sslaccept` is present; `sslcert` is the CA file; invalid
/// certificates are accepted unless `sslaccept=strict`.
pub(super) fn translate_mysql(url: &Url, schema_dir: &Path, t: &mut Translated) {
    let mut use_ssl = false;
    let mut strict = false;
    let mut explicit_mode = false;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "sslcert" => {
                use_ssl = true;
                let path = resolve(schema_dir, &v);
                t.pairs
                    .push(("ssl-ca".into(), path.to_string_lossy().into_owned()));
                t.drop_param("sslcert");
            }
            "sslidentity" | "sslpassword" => {
                use_ssl = true;
                t.drop_param(&k);
            }
            "sslaccept" => {
                use_ssl = true;
                strict = v.as_ref() == "strict";
                t.drop_param("sslaccept");
            }
            "socket" => {
                t.pairs.push(("socket".into(), v.replace(['(', ')'], "")));
                t.drop_param("socket");
            }
            // sqlx-style parameters: passed through verbatim.
            "ssl-mode" | "sslmode" | "ssl-ca" | "sslca" | "ssl-cert" | "ssl-key" | "sslkey"
            | "charset" | "collation" => {
                if matches!(k.as_ref(), "ssl-mode" | "sslmode") {
                    explicit_mode = true;
                }
                t.pairs.push((k.into_owned(), v.into_owned()));
            }
            other => t.drop_param(other),
        }
    }
    if use_ssl && !explicit_mode {
        let mode = if strict {
            "VERIFY_IDENTITY"
        } else {
            "REQUIRED"
        };
        t.pairs.push(("ssl-mode".into(), mode.into()));
    }
}
