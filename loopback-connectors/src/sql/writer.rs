//! [`Statement`] and the [`SqlWriter`] that builds it.

use std::fmt;

use loopback_core::Value;

use super::dialect::{Placeholders, Syntax};

/// One SQL statement with its bind parameters, ready for a driver: `params[i]` is the value of
/// the `i + 1`th placeholder in `sql`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text. It holds no value that came from a caller: only keywords, quoted
    /// identifiers taken from model definitions, and placeholders.
    pub sql: String,
    /// The values of the placeholders, in order, already converted to what the column stores.
    pub params: Vec<Value>,
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql)
    }
}

/// Builds a [`Statement`]: fixed SQL text and quoted identifiers go in with `push`, values
/// only as parameters with [`SqlWriter::push_param`].
#[derive(Debug)]
pub struct SqlWriter {
    syntax: Syntax,
    sql: String,
    params: Vec<Value>,
}

impl SqlWriter {
    /// An empty statement in the given syntax.
    pub fn new(syntax: Syntax) -> Self {
        SqlWriter {
            syntax,
            sql: String::with_capacity(128),
            params: Vec::new(),
        }
    }

    /// Appends SQL text: keywords, operators and identifiers quoted with
    /// [`SqlWriter::push_identifier`] or taken from a [`super::TableMapping`]. Never a value.
    pub(crate) fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// Appends `ident` quoted.
    pub(crate) fn push_identifier(&mut self, ident: &str) {
        quote_into(self.syntax, ident, &mut self.sql);
    }

    /// Appends a placeholder and records `value` as its parameter.
    pub fn push_param(&mut self, value: Value) {
        self.params.push(value);
        match self.syntax.placeholders {
            Placeholders::Question => self.sql.push('?'),
            Placeholders::Dollar => {
                self.sql.push('$');
                self.sql.push_str(&self.params.len().to_string());
            }
        }
    }

    /// The statement built so far.
    pub fn finish(self) -> Statement {
        Statement {
            sql: self.sql,
            params: self.params,
        }
    }

    /// The SQL text so far.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// Quotes `ident` with the syntax's quote character, doubling any inside it.
pub(crate) fn quote_into(syntax: Syntax, ident: &str, out: &mut String) {
    out.push(syntax.quote);
    for c in ident.chars() {
        if c == syntax.quote {
            out.push(c);
        }
        out.push(c);
    }
    out.push(syntax.quote);
}

/// `ident` quoted.
pub(crate) fn quote(syntax: Syntax, ident: &str) -> String {
    let mut s = String::with_capacity(ident.len() + 2);
    quote_into(syntax, ident, &mut s);
    s
}
