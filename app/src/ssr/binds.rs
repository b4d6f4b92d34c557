//! A query's bound values and their `$n` placeholders, numbered as they are added. sqlx's
//! `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL rejects, so queries that grow
//! with their filters number their placeholders here instead of by hand.

use std::borrow::Cow;

use sqlx::any::{Any, AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::FromRow;

/// One bound value.
#[derive(Debug, Clone)]
pub enum Bind<'q> {
    Text(Cow<'q, str>),
    Int(i64),
    /// A text column's NULL.
    Null,
}

impl<'q> From<Option<&'q str>> for Bind<'q> {
    fn from(value: Option<&'q str>) -> Self {
        value.map_or(Bind::Null, Bind::from)
    }
}

impl<'q> From<&'q str> for Bind<'q> {
    fn from(value: &'q str) -> Self {
        Bind::Text(Cow::Borrowed(value))
    }
}

impl<'q> From<&'q String> for Bind<'q> {
    fn from(value: &'q String) -> Self {
        Bind::Text(Cow::Borrowed(value))
    }
}

impl From<String> for Bind<'_> {
    fn from(value: String) -> Self {
        Bind::Text(Cow::Owned(value))
    }
}

impl From<i64> for Bind<'_> {
    fn from(value: i64) -> Self {
        Bind::Int(value)
    }
}

/// The values of one query, in placeholder order.
#[derive(Debug, Clone, Default)]
pub struct Binds<'q> {
    values: Vec<Bind<'q>>,
}

impl<'q> Binds<'q> {
    pub fn new() -> Self {
        Binds { values: Vec::new() }
    }

    /// Adds `value` and returns the placeholder that stands for it (`$4`).
    pub fn add(&mut self, value: impl Into<Bind<'q>>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub fn query<'s>(&'s self, sql: &'s str) -> Query<'s, Any, AnyArguments<'s>> {
        self.values
            .iter()
            .fold(sqlx::query(sql), |q, value| match value {
                Bind::Text(text) => q.bind(text.as_ref()),
                Bind::Int(n) => q.bind(*n),
                Bind::Null => q.bind(None::<&str>),
            })
    }

    pub fn query_as<'s, O>(&'s self, sql: &'s str) -> QueryAs<'s, Any, O, AnyArguments<'s>>
    where
        O: for<'r> FromRow<'r, AnyRow>,
    {
        self.values
            .iter()
            .fold(sqlx::query_as(sql), |q, value| match value {
                Bind::Text(text) => q.bind(text.as_ref()),
                Bind::Int(n) => q.bind(*n),
                Bind::Null => q.bind(None::<&str>),
            })
    }

    pub fn query_scalar<'s, O>(&'s self, sql: &'s str) -> QueryScalar<'s, Any, O, AnyArguments<'s>>
    where
        (O,): for<'r> FromRow<'r, AnyRow>,
    {
        self.values
            .iter()
            .fold(sqlx::query_scalar(sql), |q, value| match value {
                Bind::Text(text) => q.bind(text.as_ref()),
                Bind::Int(n) => q.bind(*n),
                Bind::Null => q.bind(None::<&str>),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_the_order_values_are_added() {
        let mut binds = Binds::new();
        assert_eq!(binds.add("tenant"), "$1");
        assert_eq!(binds.add(3_i64), "$2");
        assert_eq!(binds.add(String::from("x")), "$3");
    }
}
