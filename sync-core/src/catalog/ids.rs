//! Row ids as types, so a folder id is never passed as a file id.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// The SQLite rowid behind this id (for logs and IPC).
            #[must_use]
            pub const fn get(self) -> i64 {
                self.0
            }

            /// Wrap a rowid read back from somewhere else (IPC, logs).
            #[must_use]
            pub const fn from_raw(id: i64) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "#{}", self.0)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(self.0.into())
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_i64().map(Self)
            }
        }
    };
}

row_id!(
    /// A watched folder's row id.
    FolderId
);
row_id!(
    /// A catalogued file's row id (not the operating system's file id: see `OsFileId`).
    FileId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_display_with_a_hash_so_logs_tell_them_from_counts() {
        assert_eq!(FileId::from_raw(7).to_string(), "#7", "ids print as #N");
        assert_eq!(FolderId::from_raw(7).get(), 7, "get returns the raw rowid");
    }
}
