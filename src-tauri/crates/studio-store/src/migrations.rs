//! The schema: numbered SQL files embedded at build time, applied in order by
//! `rusqlite_migration`, which keeps the count in SQLite's `user_version`.
//!
//! Rules: a migration is never edited once released; new ones only add (tables, columns with
//! defaults, indexes), so an older build can still read a database a newer one migrated —
//! though it refuses to open it (see [`crate::Store::open`]), because it cannot know.

use rusqlite_migration::{Migrations, M};

/// The migration files, in order. Migration N (1-based) sets `user_version` to N.
const FILES: &[(&str, &str)] = &[
    (
        "0001_history.sql",
        include_str!("../migrations/0001_history.sql"),
    ),
    (
        "0002_registry.sql",
        include_str!("../migrations/0002_registry.sql"),
    ),
    (
        "0003_active_batch.sql",
        include_str!("../migrations/0003_active_batch.sql"),
    ),
    (
        "0004_template_needs.sql",
        include_str!("../migrations/0004_template_needs.sql"),
    ),
    (
        "0005_run_index.sql",
        include_str!("../migrations/0005_run_index.sql"),
    ),
];

/// The migration (1-based number) after whose SQL the runs already recorded are indexed, in
/// the same transaction: the INDEX is complete from the moment it exists.
const RUN_INDEX: usize = 5;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = FILES.len() as u32;

pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(
        FILES
            .iter()
            .enumerate()
            .map(|(i, (_, sql))| match i + 1 {
                RUN_INDEX => M::up_with_hook(sql, |tx: &rusqlite::Transaction<'_>| {
                    crate::run_index::backfill(tx)?;
                    Ok(())
                }),
                _ => M::up(sql),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_valid_and_numbered() {
        migrations().validate().expect("every migration applies");
        for (i, (name, _)) in FILES.iter().enumerate() {
            let number: usize = name[..4]
                .parse()
                .expect("files start with a 4-digit number");
            assert_eq!(number, i + 1, "{name} is migration {}", i + 1);
        }
    }
}
