//! Classification of driver errors into [`loopback_core::Error`]s, by kind, for every sqlx
//! based connector.

use loopback_core::validation::ValidationError;
use loopback_core::{Error, Record};
use sqlx::error::ErrorKind;

use super::dialect::Dialect;
use super::mapping::TableMapping;

/// What a failed statement was doing, for the error's details.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorContext<'a> {
    /// The model's table, when the statement worked on one.
    pub table: Option<&'a TableMapping>,
    /// The record being written, for a validation error's `values`.
    pub values: Option<&'a Record>,
}

/// Turns a driver error into the error the caller sees. Constraint violations are classified
/// by [`sqlx::error::DatabaseError::kind`], never by message text; only then does the dialect
/// name the columns involved ([`Dialect::violated_columns`]):
///
/// - unique violation: [`Error::Validation`] (422) with a `uniqueness` error ("is not
///   unique") on each property of the violated key, as LoopBack's uniqueness validation
///   reports it; 409 when no property can be named;
/// - not-null violation: 422 with a `presence` error ("can't be blank"), else 400;
/// - foreign-key violation: 409; check violation: 400;
/// - errors the dialect reports as transient ([`Dialect::is_unavailable`]), pool timeouts,
///   closed pools and I/O errors: [`Error::Unavailable`] (503);
/// - anything else: [`Error::Connector`] (500).
pub fn classify(d: &dyn Dialect, err: sqlx::Error, cx: ErrorContext<'_>) -> Error {
    match err {
        sqlx::Error::Database(db) => {
            let kind = db.kind();
            let violated = |code: &str, message: &str| -> Option<Error> {
                let t = cx.table?;
                let cols = d.violated_columns(t, db.constraint(), db.message());
                if cols.is_empty() {
                    return None;
                }
                let mut e = ValidationError::new(&t.model);
                for c in cols {
                    e.add(&c.property, code, message);
                }
                if let Some(v) = cx.values {
                    e.values = v.clone();
                }
                Some(e.into())
            };
            let model = cx.table.map_or_else(
                || "the record".to_owned(),
                |t| format!("the `{}` record", t.model),
            );
            match kind {
                ErrorKind::UniqueViolation => violated("uniqueness", "is not unique").unwrap_or_else(|| Error::Http {
                    status: 409,
                    name: "Error".into(),
                    code: Some("UNIQUE_VIOLATION".into()),
                    message: format!("{model} duplicates a unique value"),
                }),
                ErrorKind::NotNullViolation => violated("presence", "can't be blank").unwrap_or_else(|| Error::Http {
                    status: 400,
                    name: "Error".into(),
                    code: Some("NOT_NULL_VIOLATION".into()),
                    message: format!("{model} lacks a value that cannot be null"),
                }),
                ErrorKind::ForeignKeyViolation => Error::Http {
                    status: 409,
                    name: "Error".into(),
                    code: Some("FOREIGN_KEY_VIOLATION".into()),
                    message: format!("{model} refers to a record that does not exist, or is referred to by another"),
                },
                ErrorKind::CheckViolation => Error::Http {
                    status: 400,
                    name: "Error".into(),
                    code: Some("CHECK_VIOLATION".into()),
                    message: format!("{model} violates a check constraint"),
                },
                _ => {
                    if db.code().is_some_and(|c| d.is_unavailable(&c)) {
                        Error::Unavailable(db.message().to_owned())
                    } else {
                        Error::Connector(db.message().to_owned())
                    }
                }
            }
        }
        sqlx::Error::PoolTimedOut => {
            Error::Unavailable("timed out waiting for a database connection".into())
        }
        sqlx::Error::PoolClosed => Error::Unavailable("the connection pool is closed".into()),
        e @ (sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed) => Error::Unavailable(e.to_string()),
        other => Error::Connector(other.to_string()),
    }
}
