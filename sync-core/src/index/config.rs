//! The `[index]` settings section: which DynamoDB table holds the studio's shared photo index
//! (docs/index.md). Without a table there is no shared index and every fact comes from the
//! local catalog, as before.

use serde::{Deserialize, Serialize};

/// `[index]` in the settings file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// The index table's name (Terraform's `index_table` output). `None`: no shared index.
    pub table: Option<String>,
    /// A custom DynamoDB endpoint (the local stack's moto). `None` means AWS. The storage
    /// endpoint cannot serve: on the local stack it is Garage, which has no DynamoDB.
    pub endpoint: Option<String>,
    /// The table's region, when it is not the bucket's (`[storage] region`).
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_index_section_means_no_shared_index_and_unknown_fields_are_refused() {
        let empty: IndexConfig = toml::from_str("").expect("an empty section reads");
        assert_eq!(empty.table, None, "no table named: no shared index");
        let named: IndexConfig =
            toml::from_str("table = \"lightbox-index\"\nendpoint = \"http://127.0.0.1:5000\"")
                .expect("a table and an endpoint read");
        assert_eq!(named.table.as_deref(), Some("lightbox-index"));
        assert_eq!(named.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert!(
            toml::from_str::<IndexConfig>("tabel = \"x\"").is_err(),
            "a misspelt key is refused, not ignored"
        );
    }
}
