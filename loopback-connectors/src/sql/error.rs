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
        sqlx::Error::Tls(e) => ssl_failed(&e),
        sqlx::Error::Io(e) if is_tls_failure(&e) => ssl_failed(&e),
        e @ (sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed) => {
            Error::Unavailable(e.to_string())
        }
        other => Error::Connector(other.to_string()),
    }
}

/// The error for a connection whose SSL (TLS) handshake failed: the server does not speak
/// TLS, or its certificate or host name did not verify.
fn ssl_failed(e: &dyn std::fmt::Display) -> Error {
    Error::Unavailable(format!(
        "no SSL (TLS) connection to the database (see the `ssl` / `sslmode` data source \
         settings): {e}"
    ))
}

/// Whether an I/O error is the TLS library's: a handshake that failed (an untrusted
/// certificate, a host name it does not name, …).
fn is_tls_failure(e: &std::io::Error) -> bool {
    #[cfg(feature = "tls")]
    {
        e.get_ref()
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
    }
    #[cfg(not(feature = "tls"))]
    {
        let _ = e;
        false
    }
}

/// [`Error::UnknownColumn`] for a statement that named a column its table lacks. `name` is
/// the column as the database's message gives it, maybe qualified (`table.column`) and
/// quoted; it is matched with the statement's table (when known) to name the property.
/// Called by a backend only once the database's error code (or, for SQLite, which has none
/// for it, its own classification) said the column is unknown.
pub fn unknown_column(name: &str, message: &str, cx: ErrorContext<'_>) -> Error {
    let unquote = |s: &str| -> String {
        let s = s.trim();
        for q in ['"', '`', '\'', '['] {
            let close = if q == '[' { ']' } else { q };
            if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(close)) {
                return inner.replace(&format!("{close}{close}"), &close.to_string());
            }
        }
        s.to_owned()
    };
    let whole = unquote(name);
    let column = match cx.table.and_then(|t| t.column_named(&whole)) {
        Some(_) => whole,
        // `table.column` or `"table"."column"`: the last part.
        None => match name.rsplit_once('.') {
            Some((_, last)) => unquote(last),
            None => whole,
        },
    };
    let property = cx
        .table
        .and_then(|t| t.column_named(&column))
        .map(|c| c.property.clone());
    Error::UnknownColumn {
        model: cx.table.map(|t| t.model.clone()),
        property,
        column,
        message: message.to_owned(),
    }
}
