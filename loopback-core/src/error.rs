//! The one error type of `loopback-core`, and its mapping to LoopBack's HTTP error envelope.

use std::fmt;

use crate::validation::ValidationError;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the model layer. Each variant maps to one HTTP status and
/// LoopBack error `name`/`code` in [`Error::status`], [`Error::name`] and [`Error::code`]; no other
/// place decides statuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A filter, where clause or query value is malformed. `path` names the offending key, e.g.
    /// `filter.where.price.gt`.
    #[error("{message} (at `{path}`)")]
    InvalidFilter {
        /// Key path of the offending part of the filter.
        path: String,
        /// What is wrong.
        message: String,
        /// LoopBack's error code when it has a specific one (`OPERATOR_NOT_ALLOWED_IN_QUERY`).
        code: Option<&'static str>,
    },
    /// A value does not fit a property's type, or the input is otherwise unusable.
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
    },
    /// The instance failed validation (HTTP 422).
    #[error(transparent)]
    Validation(Box<ValidationError>),
    /// No instance with the given id.
    #[error("Unknown \"{model}\" id \"{id}\".")]
    NotFound {
        /// The model name.
        model: String,
        /// The id that was looked up.
        id: String,
    },
    /// A model definition (derived or from LB3 JSON) is invalid.
    #[error("invalid model definition at `{path}`: {message}")]
    InvalidDefinition {
        /// Key path inside the definition, e.g. `Book.properties.price.type`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A model name that the registry does not know.
    #[error("model `{0}` is not defined")]
    UnknownModel(String),
    /// The model is not attached to a data source.
    #[error("model `{0}` is not attached to a data source")]
    NotAttached(String),
    /// The connector cannot do what was asked (e.g. `regexp` on a database without it).
    #[error("{connector} connector does not support {feature}")]
    NotSupported {
        /// The connector name.
        connector: String,
        /// What is not supported.
        feature: String,
    },
    /// The transaction was committed, rolled back or timed out, and cannot be used any more
    /// (LB3: `The transaction is not active: <id>`).
    #[error("The transaction is not active: {id}{}", if *timed_out { " (timed out)" } else { "" })]
    TransactionNotActive {
        /// The transaction id.
        id: String,
        /// Whether it ended by timing out.
        timed_out: bool,
    },
    /// The data source is unreachable or the connection dropped (HTTP 503).
    #[error("data source unavailable: {0}")]
    Unavailable(String),
    /// A storage-level failure the caller cannot fix.
    #[error("connector error: {0}")]
    Connector(String),
    /// A statement named a column its table does not have: the model is ahead of its table
    /// (a table made by LoopBack 3 or by an older migration, or a column dropped by hand).
    /// SQL connectors classify it from the database's own error code (PostgreSQL SQLSTATE
    /// `42703`, MySQL error 1054). A storage failure like [`Error::Connector`]: 500, and its
    /// message is not shown over REST.
    #[error("the table of {} has no column `{column}` ({message})", model.as_deref().map_or_else(|| "the model".to_owned(), |m| format!("`{m}`")))]
    UnknownColumn {
        /// The column, as the database named it.
        column: String,
        /// The model whose table lacks it, when the statement worked on one.
        model: Option<String>,
        /// The property the model maps to that column, when there is one.
        property: Option<String>,
        /// The database's message.
        message: String,
    },
    /// An application error with an explicit HTTP status, LoopBack `name` and optional `code`,
    /// as a hook or remote method raises it (`err.statusCode = 400`).
    #[error("{message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// LoopBack error name (`Error` by default).
        name: String,
        /// LoopBack error code, e.g. `MODEL_NOT_FOUND`.
        code: Option<String>,
        /// Message shown to the client.
        message: String,
    },
    /// Authentication or authorization failed (login, tokens, ACLs).
    #[error(transparent)]
    Auth(AuthError),
    /// An application folder could not be booted: every problem found, each naming its
    /// file and key.
    #[error(transparent)]
    Boot(Box<crate::boot::BootError>),
    /// Any other error; reported as a 500 with a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An [`Error::InvalidFilter`] at `path`.
    pub fn filter(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidFilter {
            path: path.into(),
            message: message.into(),
            code: None,
        }
    }

    /// An [`Error::BadRequest`].
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest {
            message: message.into(),
        }
    }

    /// An [`Error::Http`] with name `Error`, the way hooks abort operations.
    pub fn http(status: u16, message: impl Into<String>) -> Self {
        Error::Http {
            status,
            name: "Error".into(),
            code: None,
            message: message.into(),
        }
    }

    /// An [`Error::InvalidDefinition`].
    pub fn definition(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidDefinition {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The HTTP status LoopBack answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidFilter { .. } | Error::BadRequest { .. } => 400,
            Error::Validation(_) => 422,
            Error::NotFound { .. } => 404,
            Error::NotSupported { .. } => 501,
            Error::Unavailable(_) => 503,
            Error::Http { status, .. } => *status,
            Error::Auth(a) => a.status(),
            Error::InvalidDefinition { .. }
            | Error::UnknownModel(_)
            | Error::NotAttached(_)
            | Error::Connector(_)
            | Error::UnknownColumn { .. }
            | Error::TransactionNotActive { .. }
            | Error::Boot(_)
            | Error::Internal(_) => 500,
        }
    }

    /// LoopBack's error `name`.
    pub fn name(&self) -> &str {
        match self {
            Error::Validation(_) => "ValidationError",
            Error::Http { name, .. } => name,
            _ => "Error",
        }
    }

    /// LoopBack's error `code`, where it has one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::NotFound { .. } => Some("MODEL_NOT_FOUND"),
            Error::InvalidFilter { code, .. } => *code,
            Error::Http { code, .. } => code.as_deref(),
            Error::Auth(a) => Some(a.code()),
            Error::NotSupported { .. } => Some("NOT_SUPPORTED"),
            _ => None,
        }
    }

    /// The validation error inside, if this is one.
    pub fn as_validation(&self) -> Option<&ValidationError> {
        match self {
            Error::Validation(v) => Some(v),
            _ => None,
        }
    }
}

impl From<AuthError> for Error {
    fn from(a: AuthError) -> Self {
        Error::Auth(a)
    }
}

impl From<ValidationError> for Error {
    fn from(v: ValidationError) -> Self {
        Error::Validation(Box::new(v))
    }
}

/// A key path such as `filter.where.price.gt`, built while descending into JSON.
#[derive(Clone, Default)]
pub struct KeyPath(Vec<String>);

impl KeyPath {
    /// A path starting at `root`.
    pub fn root(root: &str) -> Self {
        KeyPath(vec![root.to_owned()])
    }

    /// This path extended by one key.
    pub fn join(&self, key: impl fmt::Display) -> Self {
        let mut v = self.0.clone();
        v.push(key.to_string());
        KeyPath(v)
    }

    /// Number of segments.
    pub fn depth(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

impl fmt::Debug for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The errors of authentication and authorization, with LB3's statuses, codes and messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No valid token, and the method needs one (401 `AUTHORIZATION_REQUIRED`).
    #[error("Authorization Required")]
    AuthorizationRequired,
    /// A token, but not allowed (403 `ACCESS_DENIED`, with `aclErrorStatus: 403`).
    #[error("Access Denied")]
    AccessDenied,
    /// Denied and reported as missing (404 `MODEL_NOT_FOUND`, with `aclErrorStatus: 404`).
    #[error("could not find a model with id {id}")]
    ModelNotFound {
        /// The id addressed.
        id: String,
    },
    /// The token sent has expired (401 `INVALID_TOKEN`).
    #[error("Invalid Access Token")]
    InvalidToken,
    /// Wrong credentials (401 `LOGIN_FAILED`); never says which part was wrong.
    #[error("login failed")]
    LoginFailed,
    /// Right credentials, unverified email (401 `LOGIN_FAILED_EMAIL_NOT_VERIFIED`).
    #[error("login failed as the email has not been verified")]
    EmailNotVerified {
        /// The user's id (LB3 sends it in `details.userId`).
        user_id: serde_json::Value,
    },
    /// A login or reset request that is malformed (400), with LB3's code and message.
    #[error("{message}")]
    BadCredentials {
        /// `USERNAME_EMAIL_REQUIRED`, `INVALID_USERNAME`, `INVALID_EMAIL`,
        /// `REALM_REQUIRED`, `INVALID_REALM`, `EMAIL_REQUIRED`, `INVALID_PASSWORD`.
        code: &'static str,
        /// LB3's message.
        message: String,
    },
    /// A password changed through patch or replace (401 `PASSWORD_CHANGE_NOT_ALLOWED`).
    #[error("Changing user password via patch/replace API is not allowed. Use changePassword() or setPassword() instead.")]
    PasswordChangeNotAllowed,
}

impl AuthError {
    /// The HTTP status LB3 answers with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::AccessDenied => 403,
            AuthError::ModelNotFound { .. } => 404,
            AuthError::BadCredentials { .. } => 400,
            AuthError::AuthorizationRequired
            | AuthError::InvalidToken
            | AuthError::LoginFailed
            | AuthError::EmailNotVerified { .. }
            | AuthError::PasswordChangeNotAllowed => 401,
        }
    }

    /// LB3's error code.
    pub fn code(&self) -> &str {
        match self {
            AuthError::AuthorizationRequired => "AUTHORIZATION_REQUIRED",
            AuthError::AccessDenied => "ACCESS_DENIED",
            AuthError::ModelNotFound { .. } => "MODEL_NOT_FOUND",
            AuthError::InvalidToken => "INVALID_TOKEN",
            AuthError::LoginFailed => "LOGIN_FAILED",
            AuthError::EmailNotVerified { .. } => "LOGIN_FAILED_EMAIL_NOT_VERIFIED",
            AuthError::BadCredentials { code, .. } => code,
            AuthError::PasswordChangeNotAllowed => "PASSWORD_CHANGE_NOT_ALLOWED",
        }
    }

    /// LB3's `details`, where it sends them.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            AuthError::EmailNotVerified { user_id } => {
                Some(serde_json::json!({ "userId": user_id }))
            }
            _ => None,
        }
    }
}
