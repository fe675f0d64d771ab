//! Authentication and authorization: LB3's built-in User, AccessToken, Role, RoleMapping,
//! ACL and Application models, access tokens, and the ACL engine.
//!
//! Models named like the built-ins, or extending them (`base: "User"`), get their behaviour
//! when they are defined: user models hash passwords, validate emails, log in and out and
//! drop their tokens when credentials change; token models generate random ids; application
//! models generate their keys on every full save. Access control is off until
//! [`App::enable_auth`] (LB3's `app.enableAuth()`); the REST layer then reads tokens from
//! requests and checks every call with [`App::authorize`].

pub mod acl;
mod application;
mod builtin;
mod check;
mod password;
mod token;
mod user;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

pub use acl::{AccessType, AclRule, Permission, PrincipalType};
pub use application::{ApplicationKey, AuthenticatedApplication};
pub use builtin::{builtin_definition, BuiltinKind};
pub use check::{
    builtin_access_type, static_permission, static_rules, AccessContext, AccessDecision, Principal,
    RoleResolver,
};
pub use password::{
    hash_password, is_bcrypt_hash, validate_password, verify_password, MAX_PASSWORD_LENGTH,
};
pub use token::{
    generate_token_id, AccessToken, DEFAULT_MAX_TTL, DEFAULT_SCOPE, DEFAULT_TOKEN_LENGTH,
    DEFAULT_TTL,
};
pub use user::{PasswordResetRequest, Verification, RESET_PASSWORD_SCOPE};

use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::Result;
use crate::filter::Filter;
use crate::value::Value;

pub(crate) use builtin::truthy;
pub(crate) use builtin::user_validations;
#[cfg(feature = "rest")]
pub(crate) use check::{is_in_role, owner_relations};
#[cfg(feature = "rest")]
pub(crate) use token::value_to_id_string;
pub(crate) use token::TokenCache;

/// Application-wide auth settings.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AuthSettings {
    /// The status of a denied call that carries a token, unless the model sets its own
    /// (`aclErrorStatus` in LB3's `config.json`; 401 when unset).
    pub acl_error_status: Option<u16>,
}

/// Options of [`App::enable_auth_with`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct AuthOptions {
    data_source: Option<String>,
    acl_error_status: Option<u16>,
    token_cache: Option<Duration>,
}

impl AuthOptions {
    /// Default options: nothing attached, 401 for denied calls.
    pub fn new() -> Self {
        AuthOptions::default()
    }

    /// Attaches the built-in `User`, `AccessToken`, `ACL`, `RoleMapping` and `Role` models
    /// to this data source when no model of that kind is defined yet (LB3's
    /// `enableAuth({dataSource})`).
    pub fn data_source(mut self, name: impl Into<String>) -> Self {
        self.data_source = Some(name.into());
        self
    }

    /// The status of denied calls that carry a token: 401 (LB3's default), 403 or 404.
    pub fn acl_error_status(mut self, status: u16) -> Self {
        self.acl_error_status = Some(status);
        self
    }

    /// How long a valid token is remembered between requests (default 5 s; zero reads the
    /// token table on every request). Logout, user deletion and credential changes forget
    /// tokens at once whatever this is.
    pub fn token_cache(mut self, lifetime: Duration) -> Self {
        self.token_cache = Some(lifetime);
        self
    }
}

/// The auth state of an application.
#[derive(Default)]
pub(crate) struct AuthState {
    enabled: std::sync::atomic::AtomicBool,
    settings: RwLock<AuthSettings>,
    resolvers: RwLock<HashMap<String, RoleResolver>>,
    pub(crate) tokens: TokenCache,
    acl_rows: Mutex<Option<(Instant, Arc<Vec<AclRule>>)>>,
    /// Per token model: whether its table has the `principalType` column.
    type_columns: Mutex<HashMap<String, bool>>,
    reset_listeners: RwLock<HashMap<String, Vec<user::ResetListener>>>,
    /// Mail data sources, by name: user models send verification emails through them.
    mailers: RwLock<HashMap<String, crate::mail::Mailer>>,
    /// Per user model: the Rust function rendering its verification emails' HTML (LB3's
    /// `verifyOptions.templateFn`).
    verify_templates: RwLock<HashMap<String, user::VerifyTemplateFn>>,
}

/// How long rows of the ACL model are reused before they are read again (changes made
/// through this process drop them at once).
const ACL_ROWS_LIFETIME: Duration = Duration::from_secs(5);

impl AuthState {
    async fn acl_rows(&self, model: &ModelHandle) -> Result<Arc<Vec<AclRule>>> {
        if let Some((at, rows)) = &*self.acl_rows.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < ACL_ROWS_LIFETIME {
                return Ok(rows.clone());
            }
        }
        let records = model.find(Filter::default(), &Options::new()).await?;
        let rows: Vec<AclRule> = records
            .iter()
            .map(|r| {
                let s = |k: &str| match r.get(k) {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    Some(Value::Int(i)) => i.to_string(),
                    _ => "*".to_owned(),
                };
                AclRule {
                    model: s("model"),
                    property: vec![s("property")],
                    access_type: AccessType::parse(&s("accessType")).unwrap_or(AccessType::All),
                    permission: Permission::parse(&s("permission")).unwrap_or(Permission::Allow),
                    principal_type: PrincipalType::parse(&s("principalType")),
                    principal_id: s("principalId"),
                }
            })
            .collect();
        let rows = Arc::new(rows);
        *self.acl_rows.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), rows.clone()));
        Ok(rows)
    }

    pub(crate) fn forget_acl_rows(&self) {
        *self.acl_rows.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

pub(crate) fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl App {
    /// Turns access control on (LB3's `app.enableAuth()`): from now on the REST layer reads
    /// access tokens and checks every call against the models' ACLs. Without it, ACLs are
    /// ignored and every method is callable, as in LB3.
    pub async fn enable_auth(&self) -> Result<()> {
        self.enable_auth_with(AuthOptions::new()).await
    }

    /// [`App::enable_auth`] with options: attach the built-in models to a data source, set
    /// the denial status and the token cache.
    pub async fn enable_auth_with(&self, options: AuthOptions) -> Result<()> {
        if let Some(ds) = &options.data_source {
            for kind in [
                BuiltinKind::User,
                BuiltinKind::AccessToken,
                BuiltinKind::Acl,
                BuiltinKind::RoleMapping,
                BuiltinKind::Role,
            ] {
                if self.builtin_model(kind).is_none() {
                    self.define(builtin_definition(kind), ds).await?;
                }
            }
        }
        let state = self.auth();
        if let Some(s) = options.acl_error_status {
            write(&state.settings).acl_error_status = Some(s);
        }
        if let Some(l) = options.token_cache {
            state.tokens.set_lifetime(l);
        }
        state
            .enabled
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Registers the mailer of a mail data source under its name (boot registers those of
    /// `datasources.json` entries with the `mail` connector): user models send their
    /// verification emails ([`ModelHandle::verify`]) through it.
    pub fn register_mailer(&self, data_source: &str, mailer: crate::mail::Mailer) {
        write(&self.auth().mailers).insert(data_source.to_owned(), mailer);
    }

    /// The mailer registered under this name with [`App::register_mailer`].
    pub fn mailer(&self, data_source: &str) -> Option<crate::mail::Mailer> {
        read(&self.auth().mailers).get(data_source).cloned()
    }

    /// Whether [`App::enable_auth`] was called.
    pub fn is_auth_enabled(&self) -> bool {
        self.auth()
            .enabled
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The application-wide auth settings.
    pub fn auth_settings(&self) -> AuthSettings {
        read(&self.auth().settings).clone()
    }

    /// The model of a built-in kind: the one with the built-in's name, else the first model
    /// extending it.
    pub fn builtin_model(&self, kind: BuiltinKind) -> Option<ModelHandle> {
        if let Some(m) = self.model(kind.name()) {
            if m.builtin_kind() == Some(kind) {
                return Some(m);
            }
        }
        // Read on every checked request: searched in place, no copy of the model list.
        self.find_model(|m| m.builtin_kind() == Some(kind))
    }

    /// Every user model (the built-in `User` and models extending it).
    pub fn user_models(&self) -> Vec<ModelHandle> {
        self.models()
            .into_iter()
            .filter(|m| m.builtin_kind() == Some(BuiltinKind::User))
            .collect()
    }

    /// The token sent as `id`, when it exists and is valid, through the token cache: an
    /// unknown id is `Ok(None)` (an anonymous caller, as in LB3); an expired token is
    /// deleted and answered with 401 `INVALID_TOKEN`. So is (without being deleted) a token
    /// whose user model cannot be told: its row records no `principalType` (written by
    /// LoopBack 3, or before the column existed) while several user models share the token
    /// model, or names a model that does not keep its tokens there.
    pub async fn resolve_access_token(&self, id: &str) -> Result<Option<Arc<AccessToken>>> {
        let Some(model) = self.builtin_model(BuiltinKind::AccessToken) else {
            return Ok(None);
        };
        self.resolve_token_in(&model, id).await
    }

    /// [`App::resolve_access_token`] in the token model `token_model` (LB3's
    /// `loopback.token({model})`): a model based on `AccessToken`, else
    /// [`Error::UnknownModel`](crate::Error::UnknownModel) or a 500 saying it is not a token
    /// model.
    pub async fn resolve_access_token_in(
        &self,
        token_model: &str,
        id: &str,
    ) -> Result<Option<Arc<AccessToken>>> {
        let model = self.try_model(token_model)?;
        if model.builtin_kind() != Some(BuiltinKind::AccessToken) {
            return Err(crate::Error::Internal(format!(
                "`{token_model}` is not a token model: it does not extend AccessToken"
            )));
        }
        self.resolve_token_in(&model, id).await
    }

    async fn resolve_token_in(
        &self,
        model: &ModelHandle,
        id: &str,
    ) -> Result<Option<Arc<AccessToken>>> {
        let state = self.auth();
        if let Some(t) = state.tokens.get(model.name(), id) {
            if self.token_still_valid(&t) {
                return Ok(Some(t));
            }
            state.tokens.remove(id);
        }
        // Ids are random alphanumeric strings: anything else cannot be a token.
        if id.is_empty() || id.len() > 512 {
            return Ok(None);
        }
        // A table made by LoopBack 3 has no `principalType` column until it is migrated:
        // the row is read without it.
        let filter =
            (self.token_type_column(model).await? == TypeColumn::Missing).then(|| Filter {
                fields: Some(crate::filter::Fields::Exclude(vec![PRINCIPAL_TYPE.into()])),
                ..Filter::default()
            });
        let Some(row) = model
            .find_by_id(Value::String(id.to_owned()), filter, &Options::new())
            .await?
        else {
            return Ok(None);
        };
        let Some(token) = AccessToken::from_record(&row) else {
            return Err(crate::error::AuthError::InvalidToken.into());
        };
        let Some(token) = self.type_token(model, token) else {
            tracing::debug!(
                target: "loopback::security::access_context",
                token_model = model.name(),
                "the token names no user model of its token model, or none can be told: rejected"
            );
            return Err(crate::error::AuthError::InvalidToken.into());
        };
        let token = Arc::new(token);
        if !self.token_still_valid(&token) {
            model
                .destroy_by_id(Value::String(id.to_owned()), &Options::new())
                .await?;
            return Err(crate::error::AuthError::InvalidToken.into());
        }
        state.tokens.put(model.name(), token.clone());
        Ok(Some(token))
    }

    fn token_still_valid(&self, t: &AccessToken) -> bool {
        let allow_eternal = t
            .user_model
            .as_deref()
            .and_then(|m| self.model(m))
            .is_some_and(|m| {
                m.definition()
                    .setting("allowEternalTokens")
                    .is_some_and(builtin::truthy)
            });
        t.is_valid_at(chrono::Utc::now(), allow_eternal)
    }

    /// Completes a token stored in `tokens`: the user model it belongs to (the one its row
    /// records, else the only user model storing its tokens there) and the principal type
    /// ACLs see (the model's name when the token model's `user` relation is polymorphic, as
    /// in LB3, else `USER`). `None` when the row names a model that does not store its
    /// tokens there, or records none while several user models share the token model: such
    /// a token cannot be given to a user without risking the wrong one.
    pub(crate) fn type_token(
        &self,
        tokens: &ModelHandle,
        mut token: AccessToken,
    ) -> Option<AccessToken> {
        let users = user::users_of_token_model(self, tokens);
        let model = match token.user_model.take() {
            Some(recorded) => users
                .iter()
                .find(|u| u.name() == recorded)?
                .name()
                .to_owned(),
            None => match users.as_slice() {
                [one] => one.name().to_owned(),
                [] => {
                    token.principal_type = "USER".to_owned();
                    return Some(token);
                }
                _ => return None,
            },
        };
        let polymorphic = tokens
            .definition()
            .relations
            .get("user")
            .is_some_and(|r| r.polymorphic.is_some());
        token.principal_type = if polymorphic {
            model.clone()
        } else {
            "USER".to_owned()
        };
        token.user_model = Some(model);
        Some(token)
    }

    /// Whether the rows of the token model `tokens` record whose token they are: the model
    /// declares `principalType` (the built-in AccessToken does) and its table has the column.
    /// A table created by LoopBack 3 lacks it until `loopback migrate --autoupdate` adds it;
    /// this is found out once, by reading that column, and remembered.
    pub(crate) async fn token_type_column(&self, tokens: &ModelHandle) -> Result<TypeColumn> {
        if !tokens.definition().properties.contains_key(PRINCIPAL_TYPE) {
            return Ok(TypeColumn::NotDeclared);
        }
        let known = self
            .auth()
            .type_columns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(tokens.name())
            .copied();
        if let Some(present) = known {
            return Ok(if present {
                TypeColumn::Recorded
            } else {
                TypeColumn::Missing
            });
        }
        let probe = Filter {
            fields: Some(crate::filter::Fields::Include(vec![PRINCIPAL_TYPE.into()])),
            limit: Some(1),
            ..Filter::default()
        };
        let present = match tokens.find(probe, &Options::new()).await {
            Ok(_) => true,
            Err(e) if is_missing_type_column(&e) => {
                tracing::warn!(
                    target: "loopback::security::access_context",
                    token_model = tokens.name(),
                    "the table of `{}` has no `principalType` column (a LoopBack 3 table): tokens \
                     cannot record their user model until `loopback migrate --autoupdate` adds it",
                    tokens.name()
                );
                false
            }
            Err(e) => return Err(e),
        };
        self.auth()
            .type_columns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tokens.name().to_owned(), present);
        Ok(if present {
            TypeColumn::Recorded
        } else {
            TypeColumn::Missing
        })
    }

    pub(crate) fn auth(&self) -> &AuthState {
        self.auth_state()
    }
}

/// The token property naming the user model of a token.
pub(crate) const PRINCIPAL_TYPE: &str = "principalType";

/// Whether rows of a token model record their user model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeColumn {
    /// The model declares `principalType` and its table has the column.
    Recorded,
    /// The model does not declare `principalType`.
    NotDeclared,
    /// The model declares it, but its table (made by LoopBack 3) lacks the column.
    Missing,
}

/// Whether `e` is the database's complaint that the token table has no `principalType`
/// column ([`Error::UnknownColumn`](crate::error::Error::UnknownColumn), classified by the
/// connector from the database's error code). Any other unknown column is a real error.
fn is_missing_type_column(e: &crate::error::Error) -> bool {
    let crate::error::Error::UnknownColumn {
        column, property, ..
    } = e
    else {
        return false;
    };
    match property {
        Some(p) => p == PRINCIPAL_TYPE,
        None => column.eq_ignore_ascii_case(PRINCIPAL_TYPE),
    }
}

/// Sets up a model of a built-in kind when it is defined: its hooks and remote methods.
pub(crate) fn install(model: &ModelHandle, kind: BuiltinKind) {
    match kind {
        BuiltinKind::User => user::install(model),
        BuiltinKind::AccessToken => user::install_token_model(model),
        BuiltinKind::Acl => {
            let m = model.clone();
            let forget = move |ctx: crate::hooks::HookContext| {
                let m = m.clone();
                async move {
                    if let Ok(app) = m.app() {
                        app.auth().forget_acl_rows();
                    }
                    Ok(ctx)
                }
            };
            model.observe(crate::hooks::HookKind::AfterSave, forget.clone());
            model.observe(crate::hooks::HookKind::AfterDelete, forget);
        }
        BuiltinKind::Application => application::install(model),
        BuiltinKind::Role | BuiltinKind::RoleMapping => {}
    }
}
