//! One schema step, and the catalog's migrations in order. A leaf: it imports nothing from
//! the catalog, and each table's file imports it to declare its own steps (`MIGRATIONS` in
//! `folders`, `files`, `parts`, `content`, `tombstones`, `previews`); `schema` collects them.

/// One schema step.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Migration {
    /// Its place in the catalog's history: `user_version` N means every migration up to N has
    /// been applied. Numbers are never reused and a released step is never edited; a new step
    /// takes the next number, whichever table it touches.
    pub(super) version: i64,
    /// What it does, for the log.
    pub(super) description: &'static str,
    /// The DDL, run as one batch.
    pub(super) sql: &'static str,
}

/// Why a set of migration lists cannot be applied in order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum MigrationOrderError {
    #[error("migrations {first:?} and {second:?} both claim version {version}")]
    Duplicate {
        version: i64,
        first: &'static str,
        second: &'static str,
    },
    #[error("no migration has version {missing} (versions must run 1, 2, 3, ... without gaps)")]
    Gap { missing: i64 },
}

/// Every migration of `lists`, in version order: the versions must be unique and run from 1
/// without a gap (a database's `user_version` counts the steps applied).
pub(super) fn in_order(
    lists: &[&'static [Migration]],
) -> Result<Vec<&'static Migration>, MigrationOrderError> {
    let mut all: Vec<&'static Migration> = lists.iter().flat_map(|list| list.iter()).collect();
    all.sort_by_key(|m| m.version);
    for pair in all.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(MigrationOrderError::Duplicate {
                version: pair[0].version,
                first: pair[0].description,
                second: pair[1].description,
            });
        }
    }
    for (expected, migration) in (1..).zip(&all) {
        if migration.version != expected {
            return Err(MigrationOrderError::Gap { missing: expected });
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn step(version: i64, description: &'static str) -> Migration {
        Migration {
            version,
            description,
            sql: "",
        }
    }

    const TABLE_A: &[Migration] = &[step(1, "create a"), step(4, "alter a")];
    const TABLE_B: &[Migration] = &[step(3, "create c"), step(2, "create b")];
    const CLASHING: &[Migration] = &[step(2, "create d")];
    const AFTER_A_GAP: &[Migration] = &[step(6, "create e")];

    #[test]
    fn lists_from_every_table_are_merged_in_version_order() {
        let merged = in_order(&[TABLE_A, TABLE_B]).expect("versions 1 to 4, once each");
        let versions: Vec<i64> = merged.iter().map(|m| m.version).collect();
        assert_eq!(
            versions,
            [1, 2, 3, 4],
            "sorted across tables and within one"
        );
    }

    #[test]
    fn two_migrations_with_one_version_are_refused() {
        assert_eq!(
            in_order(&[TABLE_A, TABLE_B, CLASHING]),
            Err(MigrationOrderError::Duplicate {
                version: 2,
                first: "create b",
                second: "create d",
            }),
            "a version claimed twice would leave one step unapplied on existing catalogs"
        );
    }

    #[test]
    fn a_gap_in_the_versions_is_refused() {
        assert_eq!(
            in_order(&[TABLE_A, TABLE_B, AFTER_A_GAP]),
            Err(MigrationOrderError::Gap { missing: 5 }),
            "user_version counts steps, so every number up to the latest must exist"
        );
    }
}
