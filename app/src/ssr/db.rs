//! The database: one `AnyPool` for SQLite (default) and PostgreSQL, with one set of migrations.
//! Queries are written once: `$n` placeholders, BIGINT times and TEXT ids work on both.

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::AnyPool;
use std::str::FromStr;
use std::time::Duration;

// Both backends run the same files: the SQL is written to work on each (see
// migrations/README.md for a migration that cannot be).
static MIGRATIONS: Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL scheme; use sqlite:// or postgres://")]
    Scheme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Connects (creating a SQLite file if needed, in WAL mode) without migrating.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Scheme);
        };
        let options = AnyConnectOptions::from_str(url)?;
        let max = match backend {
            // SQLite has one writer; a few connections serve readers while WAL lets them overlap.
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Each connection keeps more pages than the default 2 MB, which suits
                        // phones, not a server. No memory map (mmap_size): a connection drops
                        // its whole map whenever another has written since its last read, and
                        // under a stream of webhooks each unmapping's TLB flush on every core
                        // took a sixth of the CPU (docs/benchmarks.md).
                        sqlx::query("PRAGMA cache_size = -16384")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if backend == Backend::Sqlite {
            // WAL is a property of the file, so setting it once makes every connection use it.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Db { pool, backend })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    /// A transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that read first and then writes while another writer
    /// committed fails at once with "database is locked" instead of waiting its turn.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// What PostgreSQL refuses to store because of the value itself, not our fault: text with a NUL
/// character or bytes that are not UTF-8 (SQLite takes both), or a value too large to index.
fn refused_value(err: &StoreError) -> Option<&'static str> {
    let StoreError::Sql(sqlx::Error::Database(db)) = err else {
        return None;
    };
    match db.code().as_deref() {
        Some("22021") | Some("22P05") => {
            Some("it contains a character that cannot be stored, such as a NUL character.")
        }
        Some("54000") => Some("a value in it is too long to be stored."),
        _ => None,
    }
}

impl From<StoreError> for crate::error::AppError {
    fn from(err: StoreError) -> Self {
        if let Some(why) = refused_value(&err) {
            tracing::info!(error = %err, "the database refused a value of the request");
            return crate::error::AppError::BadRequest(why.into());
        }
        crate::error::AppError::internal_with("database error", err)
    }
}

impl From<sqlx::Error> for crate::error::AppError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::from(err).into()
    }
}

/// Locks an organisation's row until the transaction ends. PostgreSQL's writers that take it
/// queue one behind the other; SQLite's single writer is alone anyway. Used where a decision
/// reads several rows (owners left, places left) that a concurrent writer could change.
pub async fn lock_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tenants SET id = id WHERE id = $1")
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn sql_files(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).expect("the migrations folder is readable");
        for entry in entries {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                sql_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "sql") {
                found.push(path);
            }
        }
    }

    /// `sqlx::migrate!` reads only the `.sql` files directly in `migrations/` and would skip a
    /// file in a subfolder (one left by a merge from the time each backend had its own folder)
    /// without a word, so the schema would silently lack it.
    #[test]
    fn every_migration_file_is_one_the_server_runs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut found = Vec::new();
        sql_files(&dir, &mut found);
        assert_eq!(
            found.len(),
            MIGRATIONS.iter().count(),
            "every .sql file under migrations/ must sit directly in it, with a version prefix \
             (see migrations/README.md); found {found:?}"
        );
        let versions: BTreeSet<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(
            versions.len(),
            MIGRATIONS.iter().count(),
            "two migrations share a version"
        );
    }
}
