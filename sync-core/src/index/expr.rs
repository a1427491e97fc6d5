//! One `Update` action as docs/index.md writes them: `SET #a = :a, …`, optional raw `SET`
//! clauses, `REMOVE #b, …`, under a condition; every attribute name as `#name` and every value
//! as `:name`, so DynamoDB's reserved words never matter.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::attrs::s;
use super::client::IndexTable;

/// An update of one item, built up clause by clause.
#[derive(Debug, Default)]
pub(crate) struct UpdateSpec {
    set: Vec<String>,
    remove: Vec<String>,
    condition: String,
    values: Vec<(String, AttributeValue)>,
}

impl UpdateSpec {
    /// An update under `condition` (its `:values` given with [`UpdateSpec::value`]).
    pub(crate) fn new(condition: &str) -> Self {
        Self {
            condition: condition.to_owned(),
            ..Self::default()
        }
    }

    /// `SET #name = :name`.
    pub(crate) fn set(mut self, name: &str, value: AttributeValue) -> Self {
        self.set.push(format!("#{name} = :{name}"));
        self.value(name, value)
    }

    /// `SET #name = :name` for each pair.
    pub(crate) fn set_all<'a>(
        self,
        pairs: impl IntoIterator<Item = (&'a str, AttributeValue)>,
    ) -> Self {
        pairs
            .into_iter()
            .fold(self, |spec, (name, value)| spec.set(name, value))
    }

    /// A `SET` clause as written (`#key = if_not_exists(#key, :key)`).
    pub(crate) fn set_clause(mut self, clause: &str) -> Self {
        self.set.push(clause.to_owned());
        self
    }

    /// `REMOVE #name`.
    pub(crate) fn remove(mut self, name: &str) -> Self {
        self.remove.push(format!("#{name}"));
        self
    }

    /// The value `:name` (a condition's, or a raw clause's).
    pub(crate) fn value(mut self, name: &str, value: AttributeValue) -> Self {
        self.values.push((format!(":{name}"), value));
        self
    }

    /// The update expression.
    pub(crate) fn expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.set.is_empty() {
            parts.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            parts.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        parts.join(" ")
    }

    /// The action on item `pk` of `table`.
    pub(crate) fn action(self, table: &IndexTable, pk: String) -> TransactWriteItem {
        let expression = self.expression();
        let mut update = Update::builder()
            .table_name(table.table())
            .key("pk", s(pk))
            .update_expression(&expression)
            .condition_expression(&self.condition);
        for name in names(&format!("{expression} {}", self.condition)) {
            update = update.expression_attribute_names(format!("#{name}"), name);
        }
        for (name, value) in self.values {
            update = update.expression_attribute_values(name, value);
        }
        let update = update
            .build()
            .expect("table, key, update and condition expressions are set");
        TransactWriteItem::builder().update(update).build()
    }
}

/// The attribute names (`#name`) an expression uses, each once.
pub(crate) fn names(expression: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in expression.split('#').skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_spelled_as_the_design_writes_it() {
        let spec = UpdateSpec::new("attribute_not_exists(#pk)")
            .set("key", s("originals/a.jpg"))
            .set("state", s("reserved"))
            .remove("captured")
            .remove("camera_make");
        assert_eq!(
            spec.expression(),
            "SET #key = :key, #state = :state REMOVE #captured, #camera_make"
        );
        assert_eq!(
            names("SET #key = :key REMOVE #g_day attribute_not_exists(#pk) AND #key = :key"),
            ["key", "g_day", "pk"]
        );
    }
}
