//! Where a database step connects: the `connection` parameter resolved to a SQLite file inside
//! the workspace, a scratch SQLite database or a PostgreSQL URL; Redis URLs; and the masking that
//! keeps passwords out of every output and message.
//!
//! A bare name (`sales_db`) is, in order: the environment variable `SALES_DB_URL` (the name
//! upper-cased, `-` as `_`, plus `_URL`), then the first workspace file of `sales_db`,
//! `sales_db.db`, `sales_db.sqlite`, `sales_db.sqlite3`. Workspace paths are checked like every
//! file step's: no `..`, not absolute, no symlink leading out.

use crate::steps::workspace::{self, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx};
use crate::tools::SideEffects;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What `connection` names.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A SQLite file: its path inside the workspace and on the host.
    Sqlite {
        rel: String,
        host: PathBuf,
    },
    /// A SQLite database that lives as long as the step.
    SqliteMemory,
    Postgres {
        url: String,
    },
}

impl Target {
    /// How the target is shown in outputs and messages (the password masked).
    pub fn shown(&self) -> String {
        match self {
            Self::Sqlite { rel, .. } => format!("sqlite:{rel}"),
            Self::SqliteMemory => "sqlite::memory:".into(),
            Self::Postgres { url } => mask_url(url),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }
}

/// The suffixes tried after a bare name, in order.
const SQLITE_SUFFIXES: &[&str] = &["", ".db", ".sqlite", ".sqlite3"];

/// What a `connection` looks like before anything is resolved (the gate reads it to judge side
/// effects without touching the workspace or the environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Sqlite,
    SqliteMemory,
    Postgres,
    /// A bare name: an environment variable or a workspace file.
    Name,
    Unsupported,
}

pub(crate) fn shape(connection: &str) -> Shape {
    let c = connection.trim();
    if is_memory(c) {
        Shape::SqliteMemory
    } else if c.starts_with("postgres://") || c.starts_with("postgresql://") {
        Shape::Postgres
    } else if c.starts_with("sqlite:") {
        Shape::Sqlite
    } else if c.contains("://") {
        Shape::Unsupported
    } else if is_bare_name(c) {
        Shape::Name
    } else {
        Shape::Sqlite
    }
}

/// Side effects of writing through `connection` (the parameters' connection, if any).
pub(crate) fn write_effects(params: &Value) -> SideEffects {
    let connection = ["connection", "database_url", "source"]
        .iter()
        .find_map(|k| params.get(*k).and_then(Value::as_str))
        .unwrap_or("");
    match shape(connection) {
        Shape::Sqlite => SideEffects::Workspace,
        Shape::SqliteMemory => SideEffects::None,
        // A bare name may stand for a server (its environment variable): judged as one.
        Shape::Postgres | Shape::Name | Shape::Unsupported => SideEffects::External,
    }
}

fn is_memory(c: &str) -> bool {
    matches!(
        c,
        ":memory:"
            | "sqlite::memory:"
            | "sqlite://:memory:"
            | "sqlite://memory:"
            | "sqlite:memory:"
    )
}

/// A name without a folder or an extension: `sales_db`, `crm-main`.
fn is_bare_name(c: &str) -> bool {
    !c.is_empty()
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// The environment variable a bare name stands for: `sales_db` → `SALES_DB_URL`.
pub(crate) fn env_name(name: &str) -> String {
    format!("{}_URL", name.to_ascii_uppercase().replace('-', "_"))
}

/// Resolves a SQL `connection` (SQLite or PostgreSQL). With `must_exist`, a SQLite file that
/// does not exist is an error (read-only queries, backups); otherwise its folder is created.
pub(crate) async fn resolve_sql(
    connection: &str,
    ctx: &StepCtx,
    must_exist: bool,
) -> Result<Target, Failure> {
    let c = connection.trim();
    match shape(c) {
        Shape::SqliteMemory => Ok(Target::SqliteMemory),
        Shape::Postgres => Ok(Target::Postgres { url: c.to_string() }),
        Shape::Unsupported => {
            let scheme = c.split("://").next().unwrap_or_default();
            Err(Failure::new(format!(
                "`{}`: `{scheme}` databases are not supported; `connection` takes a SQLite file of the workspace (`sqlite:data/app.db`) or a PostgreSQL URL (`postgres://user:password@host:5432/db`)",
                mask_url(c)
            )))
        }
        Shape::Sqlite => {
            let path = c
                .strip_prefix("sqlite://")
                .or_else(|| c.strip_prefix("sqlite:"))
                .unwrap_or(c);
            if path.contains('?') {
                return Err(Failure::new(format!(
                    "`{c}`: SQLite connection options (`?…`) are not supported; give the file's path inside the workspace (use `read_only: true` for a read-only query)"
                )));
            }
            sqlite_file(path, ctx, must_exist).await
        }
        Shape::Name => {
            let var = env_name(c);
            if let Some(value) = ctx.shared.setup.env_var(&var) {
                let value = value.trim().to_string();
                if shape(&value) == Shape::Name {
                    return Err(Failure::new(format!(
                        "connection `{c}`: the environment variable {var} holds `{value}`, another bare name; set it to a URL (`postgres://…`) or a workspace path (`sqlite:data/app.db`)"
                    )));
                }
                return Box::pin(resolve_sql(&value, ctx, must_exist))
                    .await
                    .map_err(|f| prefix(f, &format!("connection `{c}` (from {var})")));
            }
            let mut tried = vec![format!("the environment variable {var} (not set)")];
            for suffix in SQLITE_SUFFIXES {
                let candidate = format!("{c}{suffix}");
                if exists(&candidate, ctx).await? {
                    return sqlite_file(&candidate, ctx, true).await;
                }
                tried.push(format!("the workspace file `{candidate}`"));
            }
            Err(Failure::new(format!(
                "connection `{c}` names no database: tried {}. Set {var} to a URL, or write a path (`sqlite:{c}.db` creates a SQLite file)",
                tried.join(", ")
            )))
        }
    }
}

/// Resolves a Redis `connection`: a `redis://` URL, a bare name (its `_URL` environment
/// variable), or, when absent, `REDIS_URL` or `redis://127.0.0.1:6379`.
pub(crate) fn resolve_redis(connection: Option<&str>, ctx: &StepCtx) -> Result<String, Failure> {
    let url = match connection.map(str::trim) {
        None | Some("") => ctx
            .shared
            .setup
            .env_var("REDIS_URL")
            .unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
        Some(c) if is_bare_name(c) => {
            let var = env_name(c);
            ctx.shared.setup.env_var(&var).ok_or_else(|| {
                Failure::new(format!(
                    "connection `{c}` names no server: the environment variable {var} is not set; set it to a URL (`redis://host:6379`) or write the URL"
                ))
            })?
        }
        Some(c) => c.to_string(),
    };
    let url = url.trim().to_string();
    if url.starts_with("rediss://") {
        return Err(Failure::new(format!(
            "`{}`: TLS connections to Redis (`rediss://`) are not supported yet; use `redis://` on a trusted network",
            mask_url(&url)
        )));
    }
    if !url.starts_with("redis://")
        && !url.starts_with("redis+unix://")
        && !url.starts_with("unix://")
    {
        return Err(Failure::new(format!(
            "`{}` is not a Redis URL; write `redis://[:password@]host[:port][/db]`",
            mask_url(&url)
        )));
    }
    Ok(url)
}

async fn exists(rel: &str, ctx: &StepCtx) -> Result<bool, Failure> {
    let rel = workspace::check(rel)?;
    with_dir(ctx, move |dir| Ok(dir.symlink_metadata(&rel).is_ok())).await
}

/// A workspace file for SQLite (which opens host paths): its folder must lie inside the
/// workspace (symlinks included), and the file itself may not be a link leading out.
async fn sqlite_file(path: &str, ctx: &StepCtx, must_exist: bool) -> Result<Target, Failure> {
    let (rel, host) = workspace_file(path, ctx, !must_exist).await?;
    if must_exist && !host.is_file() {
        return Err(Failure::new(format!(
            "the SQLite database `{rel}` does not exist in the workspace"
        )));
    }
    Ok(Target::Sqlite { rel, host })
}

/// The host path of a workspace file that may not exist yet (checked as file steps check
/// theirs); `create_parent` creates its folder first.
pub(crate) async fn workspace_file(
    path: &str,
    ctx: &StepCtx,
    create_parent: bool,
) -> Result<(String, PathBuf), Failure> {
    let clean = workspace::check(path)?;
    let Some(name) = clean.file_name().map(ToOwned::to_owned) else {
        return Err(Failure::new(format!(
            "`{path}` is a folder; name a file inside the workspace"
        )));
    };
    let parent = clean.parent().map(Path::to_path_buf).unwrap_or_default();
    let checked = clean.clone();
    with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &checked)?;
        if create_parent && !parent.as_os_str().is_empty() {
            dir.create_dir_all(&parent)
                .map_err(|e| workspace::io_failure("create the folder", &parent, e))?;
        }
        Ok(())
    })
    .await?;
    let parent = clean.parent().map(Path::to_path_buf).unwrap_or_default();
    let parent_host = if parent.as_os_str().is_empty() {
        ctx.shared.workspace.root().clone()
    } else {
        ctx.shared
            .workspace
            .host_path(&workspace::display(&parent))?
    };
    Ok((workspace::display(&clean), parent_host.join(name)))
}

/// `prefix: message`, keeping the failure's output.
pub(crate) fn prefix(mut f: Failure, what: &str) -> Failure {
    f.message = format!("{what}: {}", f.message);
    f
}

/// A URL with its password replaced by `***` (`postgres://user:***@host/db`), and any
/// `password=` option masked too. Text that is not a URL is returned with `password=` masked.
pub(crate) fn mask_url(url: &str) -> String {
    let masked = match url.find("://") {
        Some(i) => {
            let (scheme, rest) = url.split_at(i + 3);
            let end = rest.find(['?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => {
                    let userinfo = &rest[..at];
                    match userinfo.find(':') {
                        Some(colon) => {
                            format!("{scheme}{}:***{}", &userinfo[..colon], &rest[at..])
                        }
                        None => url.to_string(),
                    }
                }
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    };
    mask_password_options(&masked)
}

/// `password=secret` (in a query string or a key/value connection string) → `password=***`.
fn mask_password_options(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find("password=") {
        let start = from + found + "password=".len();
        let end = text[start..]
            .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
            .map_or(text.len(), |e| start + e);
        out.push_str(&text[last..start]);
        out.push_str("***");
        last = end;
        from = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The password of a URL, as written and percent-decoded (to mask it wherever a library
/// might echo it).
pub(crate) fn url_password(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let userinfo = &rest[..rest[..end].rfind('@')?];
    let password = &userinfo[userinfo.find(':')? + 1..];
    (!password.is_empty()).then(|| password.to_string())
}

/// A URL without its password, and the password (percent-decoded): for programs that take
/// the password from the environment (`PGPASSWORD`) rather than their command line. A
/// `password=` option is taken out as well.
pub(crate) fn split_password(url: &str) -> (String, Option<String>) {
    let mut password = url_password(url).map(|p| percent_decode(&p));
    let mut bare = match (url.find("://"), url_password(url)) {
        (Some(i), Some(_)) => {
            let (scheme, rest) = url.split_at(i + 3);
            let end = rest.find(['?', '#']).unwrap_or(rest.len());
            let at = rest[..end].rfind('@').unwrap_or(0);
            let colon = rest[..at].find(':').unwrap_or(at);
            format!("{scheme}{}{}", &rest[..colon], &rest[at..])
        }
        _ => url.to_string(),
    };
    if let Some(q) = bare.find('?') {
        let (head, query) = bare.split_at(q + 1);
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case("password") => {
                    password = Some(percent_decode(v));
                }
                _ => kept.push(pair),
            }
        }
        bare = if kept.is_empty() {
            head.trim_end_matches('?').to_string()
        } else {
            format!("{head}{}", kept.join("&"))
        };
    }
    (bare, password)
}

/// Masks a URL's password (raw and percent-decoded) and any URL of `text`.
pub(crate) fn mask_text(text: &str, url: &str) -> String {
    let mut out = text.to_string();
    if let Some(password) = url_password(url) {
        let decoded = percent_decode(&password);
        for secret in [password, decoded] {
            if secret.len() >= 3 {
                out = out.replace(&secret, "***");
            }
        }
    }
    out.replace(url, &mask_url(url))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The 1-based line and column (in characters) of the character at `index` (0-based, in
/// characters) of `text`, and that line's text.
pub(crate) fn locate(text: &str, index: usize) -> (usize, usize, &str) {
    let byte = text
        .char_indices()
        .nth(index)
        .map_or(text.len(), |(b, _)| b);
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..byte].chars().count() + 1;
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    (
        line,
        column,
        text[line_start..line_end].trim_end_matches('\r'),
    )
}

/// `line L, column C:` then the line and a caret under the column.
pub(crate) fn excerpt(line_text: &str, column: usize) -> String {
    let pad: String = line_text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("  {line_text}\n  {pad}^")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_in_urls_and_options() {
        assert_eq!(
            mask_url("postgres://app:s3cr%2Ft@db.example:5432/sales?sslmode=require"),
            "postgres://app:***@db.example:5432/sales?sslmode=require"
        );
        assert_eq!(
            mask_url("postgresql://app:p@ss/w@host/db"),
            "postgresql://app:***@host/db"
        );
        assert_eq!(
            mask_url("redis://:hunter22@127.0.0.1:6379/2"),
            "redis://:***@127.0.0.1:6379/2"
        );
        assert_eq!(mask_url("postgres://app@host/db"), "postgres://app@host/db");
        assert_eq!(
            mask_url("postgres://host/db?user=a&password=xyz&sslmode=disable"),
            "postgres://host/db?user=a&password=***&sslmode=disable"
        );
        assert_eq!(
            mask_url("host=h user=u password=xyz dbname=d"),
            "host=h user=u password=*** dbname=d"
        );
        assert_eq!(
            url_password("postgres://a:b%40c@h/d").as_deref(),
            Some("b%40c")
        );
        assert_eq!(
            split_password("postgres://a:b%40c@h:5/d?sslmode=disable"),
            (
                "postgres://a@h:5/d?sslmode=disable".into(),
                Some("b@c".into())
            )
        );
        assert_eq!(
            split_password("postgres://a@h/d?password=x&sslmode=disable"),
            ("postgres://a@h/d?sslmode=disable".into(), Some("x".into()))
        );
        assert_eq!(
            split_password("postgres://h/d"),
            ("postgres://h/d".into(), None)
        );
        assert_eq!(
            mask_text(
                "login failed for b@c at postgres://a:b%40c@h/d",
                "postgres://a:b%40c@h/d"
            ),
            "login failed for *** at postgres://a:***@h/d"
        );
    }

    #[test]
    fn connections_are_told_apart_by_their_shape() {
        assert_eq!(shape("postgres://h/d"), Shape::Postgres);
        assert_eq!(shape("postgresql://h/d"), Shape::Postgres);
        assert_eq!(shape("sqlite:data/app.db"), Shape::Sqlite);
        assert_eq!(shape("sqlite://data/app.db"), Shape::Sqlite);
        assert_eq!(shape("data/app.db"), Shape::Sqlite);
        assert_eq!(shape("app.db"), Shape::Sqlite);
        assert_eq!(shape("sqlite::memory:"), Shape::SqliteMemory);
        assert_eq!(shape("sales_db"), Shape::Name);
        assert_eq!(shape("mysql://h/d"), Shape::Unsupported);
        assert_eq!(env_name("sales-db"), "SALES_DB_URL");
    }

    #[test]
    fn positions_become_lines_and_columns() {
        let q = "SELECT 1\nFROM  users\nWHERE é = 2";
        assert_eq!(locate(q, 0), (1, 1, "SELECT 1"));
        assert_eq!(locate(q, 15), (2, 7, "FROM  users"));
        assert_eq!(locate(q, 27), (3, 7, "WHERE é = 2"));
        assert_eq!(excerpt("FROM  users", 7), "  FROM  users\n        ^");
    }
}
