//! Reading and writing single DynamoDB attributes of an item, with a typed error naming the
//! attribute that is missing or of the wrong type.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// An item as DynamoDB sends and takes it.
pub type Item = HashMap<String, AttributeValue>;

/// An item that is not what the design (docs/index.md) says it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("attribute `{0}` is missing")]
    Missing(&'static str),
    #[error("attribute `{0}` has the wrong type or an unreadable value")]
    Invalid(&'static str),
}

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(crate) fn n(value: impl Into<i128>) -> AttributeValue {
    AttributeValue::N(value.into().to_string())
}

/// The string attribute `name`, if present.
pub(crate) fn opt_s(item: &Item, name: &'static str) -> Result<Option<String>, ItemError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
        Some(_) => Err(ItemError::Invalid(name)),
    }
}

/// The string attribute `name`.
pub(crate) fn req_s(item: &Item, name: &'static str) -> Result<String, ItemError> {
    opt_s(item, name)?.ok_or(ItemError::Missing(name))
}

/// The number attribute `name`, if present, parsed as `T`.
pub(crate) fn opt_n<T: std::str::FromStr>(
    item: &Item,
    name: &'static str,
) -> Result<Option<T>, ItemError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| ItemError::Invalid(name)),
        Some(_) => Err(ItemError::Invalid(name)),
    }
}

/// Put `value` under `name` when it is `Some`.
pub(crate) fn put_opt(item: &mut Item, name: &str, value: Option<AttributeValue>) {
    if let Some(value) = value {
        item.insert(name.to_owned(), value);
    }
}
