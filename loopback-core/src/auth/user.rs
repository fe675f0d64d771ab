//! The behaviour of user models (LB3's `common/models/user.js`) and token models: password
//! hashing, login and logout, password change and reset, email confirmation, and tokens
//! dropped when credentials change or users are deleted.

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::builtin::truthy;
use super::password::{
    constant_time_eq, hash_password, invalid_password, is_bcrypt_hash, verify_password,
    DEFAULT_SALT_WORK_FACTOR,
};
use super::token::{
    generate_token_id, value_to_id_string, AccessToken, DEFAULT_MAX_TTL, DEFAULT_TOKEN_LENGTH,
    DEFAULT_TTL,
};
use super::{BuiltinKind, TypeColumn, PRINCIPAL_TYPE};
use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{AuthError, Error, Result};
use crate::filter::{Condition, Filter, Where};
use crate::hooks::{HookContext, HookKind};
use crate::model::ModelDefinition;
use crate::remote::{
    Accept, ArgSource, ArgType, HttpVerb, RemoteHandler, RemoteInvocation, RemoteMethod, Returns,
};
use crate::value::{Record, Value};

/// The scope of password-reset tokens when `restrictResetPasswordTokenScope` is on: such a
/// token can call `setPassword` (`POST /reset-password`) and nothing else.
pub const RESET_PASSWORD_SCOPE: &str = "reset-password";

/// LB3's default `resetPasswordTokenTTL`: 15 minutes.
const DEFAULT_RESET_TTL: i64 = 900;

/// A password-reset request (LB3's `resetPasswordRequest` event): the application sends
/// `access_token.id` to `email`, typically as a link.
#[derive(Debug, Clone)]
pub struct PasswordResetRequest {
    /// The user model.
    pub model: String,
    /// The address the reset was asked for.
    pub email: String,
    /// The short-lived token that lets the user set a new password.
    pub access_token: AccessToken,
    /// The user, with hidden properties.
    pub user: Record,
    /// The request's `options` object, as sent.
    pub options: Json,
}

/// What [`ModelHandle::verify`] did (LB3's `{email, token, uid}`).
#[derive(Debug, Clone)]
pub struct Verification {
    /// The email, as the mail transport took it.
    pub email: crate::mail::SentMail,
    /// The new verification token, now the user's `verificationToken`.
    pub token: String,
    /// The user's id.
    pub uid: Value,
}

pub(crate) type ResetListener = Arc<dyn Fn(PasswordResetRequest) + Send + Sync>;

/// A Rust function rendering the HTML body of a model's verification emails from the
/// verification options (LB3's `verifyOptions.templateFn`).
pub(crate) type VerifyTemplateFn = Arc<dyn Fn(&Json) -> Result<String> + Send + Sync>;

/// LoopBack 3's `templates/verify.ejs`, the default HTML body of verification emails.
pub const DEFAULT_VERIFY_TEMPLATE: &str = "<h1>Thank You</h1>\n\n<p>\n  Thanks for registering. Please follow the link below to complete your registration.\n</p>\n\n<p>\n  <a href=\"<%= verifyHref %>\"><%= verifyHref %></a>\n</p>";

/// A user model's settings, with LB3's defaults, except where the safe behaviour wins
/// (`restrictResetPasswordTokenScope` and `rejectPasswordChangesViaPatchOrReplace` are on
/// unless turned off).
struct UserSettings {
    case_sensitive_email: bool,
    ttl: f64,
    max_ttl: f64,
    realm_required: bool,
    realm_delimiter: Option<String>,
    email_verification_required: bool,
    reset_ttl: f64,
    salt_work_factor: u32,
    restrict_reset_scope: bool,
    reject_patch_password: bool,
}

impl UserSettings {
    fn of(def: &ModelDefinition) -> Self {
        let get = |k: &str| def.setting(k);
        let flag = |k: &str, default: bool| get(k).map_or(default, truthy);
        let num = |k: &str, default: f64| {
            get(k)
                .and_then(Json::as_f64)
                .filter(|n| *n != 0.0)
                .unwrap_or(default)
        };
        let realm_delimiter = get("realmDelimiter")
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        UserSettings {
            case_sensitive_email: flag("caseSensitiveEmail", true),
            ttl: num("ttl", DEFAULT_TTL as f64),
            max_ttl: num("maxTTL", DEFAULT_MAX_TTL as f64),
            realm_required: flag("realmRequired", false) || realm_delimiter.is_some(),
            realm_delimiter,
            email_verification_required: flag("emailVerificationRequired", false),
            reset_ttl: num("resetPasswordTokenTTL", DEFAULT_RESET_TTL as f64),
            salt_work_factor: get("saltWorkFactor")
                .and_then(Json::as_u64)
                .map_or(DEFAULT_SALT_WORK_FACTOR, |n| n as u32),
            restrict_reset_scope: flag("restrictResetPasswordTokenScope", true),
            reject_patch_password: flag("rejectPasswordChangesViaPatchOrReplace", true),
        }
    }
}

fn bad(code: &'static str, message: &str) -> Error {
    Error::Auth(AuthError::BadCredentials {
        code,
        message: message.to_owned(),
    })
}

fn http(status: u16, code: Option<&str>, message: impl Into<String>) -> Error {
    Error::Http {
        status,
        name: "Error".into(),
        code: code.map(str::to_owned),
        message: message.into(),
    }
}

/// The model an observer of `base` is running for (a subclass shares its base's observers).
pub(super) fn model_of_ctx(base: &ModelHandle, ctx: &HookContext) -> ModelHandle {
    if ctx.model == base.name() {
        return base.clone();
    }
    base.app()
        .ok()
        .and_then(|a| a.model(&ctx.model))
        .unwrap_or_else(|| base.clone())
}

// ----- hooks ---------------------------------------------------------------------------------

/// Hooks and remote methods of a user model.
pub(crate) fn install(model: &ModelHandle) {
    if !model.inherits_builtin_hooks() {
        install_user_hooks(model);
    }
    install_user_methods(model);
}

fn install_user_hooks(model: &ModelHandle) {
    let m = model.clone();
    model.observe(HookKind::BeforeSave, move |ctx| {
        let m = model_of_ctx(&m, &ctx);
        async move { before_save(m, ctx).await }
    });
    let m = model.clone();
    model.observe(HookKind::AfterSave, move |ctx| {
        let m = model_of_ctx(&m, &ctx);
        async move { after_save(m, ctx).await }
    });
    let m = model.clone();
    model.observe(HookKind::BeforeDelete, move |ctx| {
        let m = model_of_ctx(&m, &ctx);
        async move { before_delete(m, ctx).await }
    });
    let m = model.clone();
    model.observe(HookKind::Access, move |ctx| {
        let m = model_of_ctx(&m, &ctx);
        async move { Ok(normalize_email_query(&m, ctx)) }
    });
}

/// Hooks of a token model: random ids, and the token cache forgets changed tokens.
pub(crate) fn install_token_model(model: &ModelHandle) {
    if model.inherits_builtin_hooks() {
        return;
    }
    let m = model.clone();
    model.observe(HookKind::BeforeSave, move |mut ctx| {
        let m = model_of_ctx(&m, &ctx);
        async move {
            if let Some(inst) = ctx.instance.as_mut() {
                let missing = matches!(inst.get("id"), None | Some(Value::Null))
                    || matches!(inst.get("id"), Some(Value::String(s)) if s.is_empty());
                if missing {
                    let len = m
                        .definition()
                        .setting("accessTokenIdLength")
                        .and_then(Json::as_u64)
                        .map_or(DEFAULT_TOKEN_LENGTH, |n| n.clamp(16, 512) as usize);
                    inst.insert("id", Value::String(generate_token_id(len)?));
                }
            }
            Ok(ctx)
        }
    });
    let m = model.clone();
    let forget = move |ctx: HookContext| {
        let m = m.clone();
        async move {
            if let Ok(app) = m.app() {
                app.auth().tokens.clear();
            }
            Ok(ctx)
        }
    };
    model.observe(HookKind::AfterSave, forget.clone());
    model.observe(HookKind::AfterDelete, forget);
}

fn lowercase_email(settings: &UserSettings, rec: &mut Record) {
    if settings.case_sensitive_email {
        return;
    }
    if let Some(Value::String(e)) = rec.get_mut("email") {
        *e = e.to_lowercase();
    }
}

/// LB3's password setter: non-strings are ignored, bcrypt hashes kept, anything else
/// validated and hashed.
fn hash_in(settings: &UserSettings, rec: &mut Record) -> Result<()> {
    match rec.get("password") {
        None => Ok(()),
        Some(Value::String(p)) if is_bcrypt_hash(p) => Ok(()),
        Some(Value::String(p)) => {
            let h = hash_password(p, settings.salt_work_factor)?;
            rec.insert("password", Value::String(h));
            Ok(())
        }
        Some(Value::Null) => Ok(()),
        Some(_) => {
            rec.remove("password");
            Ok(())
        }
    }
}

const INVALIDATE: &str = "$loopback:invalidateTokensOf";

async fn before_save(model: ModelHandle, mut ctx: HookContext) -> Result<HookContext> {
    let settings = UserSettings::of(&model.definition());
    let is_new = ctx.is_new_instance == Some(true)
        || (ctx.is_new_instance.is_none() && ctx.method == "create");
    let set_password = ctx.options.get("setPassword").is_some_and(truthy);
    if is_new {
        if let Some(inst) = ctx.instance.as_mut() {
            if let Some(Value::String(p)) = inst.get("password") {
                if p.is_empty() {
                    return Err(invalid_password());
                }
            }
            lowercase_email(&settings, inst);
            hash_in(&settings, inst)?;
        }
        return Ok(ctx);
    }
    // An update: the users it touches, as stored now.
    let id_name = model.definition().id_name().to_owned();
    let current: Vec<Record> = if let Some(c) = &ctx.current_instance {
        vec![c.clone()]
    } else if let Some(id) = ctx
        .instance
        .as_ref()
        .and_then(|i| i.get(&id_name))
        .filter(|v| !v.is_null())
    {
        model
            .find_by_id(id.clone(), None, &internal(&ctx.options))
            .await?
            .into_iter()
            .collect()
    } else if let Some(w) = &ctx.where_ {
        model
            .find(
                Filter {
                    where_: Some(w.clone()),
                    ..Filter::default()
                },
                &internal(&ctx.options),
            )
            .await?
    } else {
        Vec::new()
    };
    let changes = ctx.data.as_mut().or(ctx.instance.as_mut());
    let Some(changes) = changes else {
        return Ok(ctx);
    };
    if let Some(Value::String(p)) = changes.get("password") {
        if p.is_empty() {
            return Err(invalid_password());
        }
    }
    let password_change = match changes.get("password") {
        Some(Value::String(p)) => current
            .iter()
            .all(|c| c.get("password") != Some(&Value::String(p.clone()))),
        _ => false,
    };
    if password_change && settings.reject_patch_password && !set_password {
        return Err(AuthError::PasswordChangeNotAllowed.into());
    }
    lowercase_email(&settings, changes);
    let new_email = changes.get("email").cloned();
    hash_in(&settings, changes)?;
    let mut affected = Vec::new();
    let mut email_changed = false;
    for c in &current {
        let email_change = new_email
            .as_ref()
            .is_some_and(|e| c.get("email") != Some(e));
        email_changed |= email_change;
        if email_change || password_change {
            if let Some(id) = c.get(&id_name) {
                affected.push(id.to_json());
            }
        }
    }
    if email_changed && settings.email_verification_required {
        changes.insert("emailVerified", Value::Bool(false));
    }
    if !affected.is_empty() && !ctx.options.get("preserveAccessTokens").is_some_and(truthy) {
        ctx.hook_state
            .insert(INVALIDATE.into(), Json::Array(affected));
    }
    Ok(ctx)
}

fn internal(options: &Options) -> Options {
    // Same transaction, no caller identity: these are the framework's own reads.
    let mut o = Options::new();
    o.transaction = options.transaction.clone();
    o
}

async fn after_save(model: ModelHandle, ctx: HookContext) -> Result<HookContext> {
    if let Some(Json::Array(ids)) = ctx.hook_state.get(INVALIDATE) {
        let ids: Vec<Value> = ids.iter().map(Value::from_json).collect();
        let keep = ctx.options.access_token.as_ref().map(|t| t.id.clone());
        delete_tokens_of(&model, ids, keep, &ctx.options).await?;
    }
    Ok(ctx)
}

async fn before_delete(model: ModelHandle, ctx: HookContext) -> Result<HookContext> {
    let id_name = model.definition().id_name().to_owned();
    let users = model
        .find(
            Filter {
                where_: ctx.where_.clone(),
                ..Filter::default()
            },
            &internal(&ctx.options),
        )
        .await?;
    let ids: Vec<Value> = users
        .iter()
        .filter_map(|u| u.get(&id_name).cloned())
        .collect();
    if !ids.is_empty() {
        delete_tokens_of(&model, ids, None, &ctx.options).await?;
    }
    Ok(ctx)
}

/// Deletes the tokens of the users `ids` of `model` (except `keep`).
async fn delete_tokens_of(
    model: &ModelHandle,
    ids: Vec<Value>,
    keep: Option<String>,
    options: &Options,
) -> Result<()> {
    let Some(tokens) = token_model_of(model) else {
        return Ok(());
    };
    let mut w = Where::cond("userId", Condition::Inq(ids));
    if let Some(k) = keep {
        w = w.and(Where::cond("id", Condition::Neq(Value::String(k))));
    }
    // Tokens of a token model shared by several user models are told apart by their
    // principal type; rows without one are refused when read, so they may stay.
    let app = model.app()?;
    if app.token_type_column(&tokens).await? == TypeColumn::Recorded
        && users_of_token_model(&app, &tokens).len() > 1
    {
        w = w.and(Where::eq(PRINCIPAL_TYPE, model.name()));
    }
    tokens.destroy_all(Some(w), &internal(options)).await?;
    app.auth().tokens.clear();
    Ok(())
}

/// With `caseSensitiveEmail: false`, a string `where.email` is lowercased (LB3's access hook).
fn normalize_email_query(model: &ModelHandle, mut ctx: HookContext) -> HookContext {
    if UserSettings::of(&model.definition()).case_sensitive_email {
        return ctx;
    }
    if let Some(w) = ctx.query.as_mut().and_then(|q| q.where_.as_mut()) {
        lower_email_eq(w);
    }
    ctx
}

fn lower_email_eq(w: &mut Where) {
    match w {
        Where::And(v) => v.iter_mut().for_each(lower_email_eq),
        Where::Cond {
            property,
            op: Condition::Eq(Value::String(s)),
        } if property == "email" => *s = s.to_lowercase(),
        _ => {}
    }
}

/// The token model a user model issues tokens with: its `accessTokens` relation's target,
/// else the built-in AccessToken.
fn token_model_of(model: &ModelHandle) -> Option<ModelHandle> {
    let app = model.app().ok()?;
    if let Ok(rel) = model.relation("accessTokens") {
        if let Some(t) = rel.target.as_deref().and_then(|t| app.model(t)) {
            return Some(t);
        }
    }
    app.builtin_model(BuiltinKind::AccessToken)
}

/// The user models whose tokens `token_model` stores.
pub(crate) fn users_of_token_model(app: &App, token_model: &ModelHandle) -> Vec<ModelHandle> {
    app.user_models()
        .into_iter()
        .filter(|u| token_model_of(u).is_some_and(|t| t.name() == token_model.name()))
        .collect()
}

// ----- the user API --------------------------------------------------------------------------

fn js_truthy(v: Option<&Json>) -> bool {
    v.is_some_and(truthy)
}

impl ModelHandle {
    /// Whether `plain` is the password of `user` (LB3's `user.hasPassword`).
    pub fn has_password(&self, user: &Record, plain: &str) -> bool {
        match user.get("password") {
            Some(Value::String(h)) => verify_password(plain, h),
            _ => false,
        }
    }

    /// Logs a user in (LB3's `User.login`): `credentials` holds `password` and `email` or
    /// `username` (and `realm` when realms are on), optionally `ttl` in seconds. Answers the
    /// new token as LB3 does, with the user (hidden properties removed) under `user` when
    /// `include` names `user`.
    pub async fn login(
        &self,
        credentials: &Json,
        include: &[String],
        options: &Options,
    ) -> Result<Json> {
        let def = self.definition();
        let settings = UserSettings::of(&def);
        let empty = Map::new();
        let creds = credentials.as_object().unwrap_or(&empty);
        let mut query: Vec<(&str, Json)> = Vec::new();
        let mut realm = None;
        if settings.realm_required {
            if js_truthy(creds.get("realm")) {
                realm = creds.get("realm").cloned();
            }
            let split = |v: &Json| -> (Option<Json>, Json) {
                match (v, settings.realm_delimiter.as_deref()) {
                    (Json::String(s), Some(d)) => match s.find(d) {
                        Some(i) => (
                            Some(Json::String(s[..i].to_owned())),
                            Json::String(s[i + d.len()..].to_owned()),
                        ),
                        None => (None, v.clone()),
                    },
                    _ => (None, v.clone()),
                }
            };
            for key in ["email", "username"] {
                if js_truthy(creds.get(key)) {
                    let (r, name) = split(&creds[key]);
                    query.push((key, name));
                    if let Some(r) = r.filter(truthy) {
                        realm = Some(r);
                    }
                    break;
                }
            }
            match &realm {
                None => return Err(bad("REALM_REQUIRED", "realm is required")),
                Some(Json::String(_)) => {}
                Some(_) => return Err(bad("INVALID_REALM", "Invalid realm")),
            }
        } else {
            for key in ["email", "username"] {
                if js_truthy(creds.get(key)) {
                    query.push((key, creds[key].clone()));
                    break;
                }
            }
        }
        let Some((key, value)) = query.pop() else {
            return Err(bad(
                "USERNAME_EMAIL_REQUIRED",
                "username or email is required",
            ));
        };
        let mut value = match value {
            Json::String(s) => s,
            _ if key == "username" => return Err(bad("INVALID_USERNAME", "Invalid username")),
            _ => return Err(bad("INVALID_EMAIL", "Invalid email")),
        };
        if key == "email" && !settings.case_sensitive_email {
            value = value.to_lowercase();
        }
        let mut w = Where::eq(key, value);
        if let Some(Json::String(r)) = &realm {
            w = w.and(Where::eq("realm", r.clone()));
        }
        let user = self
            .find_user(w, options)
            .await
            .map_err(|_| AuthError::LoginFailed)?;
        let plain = creds.get("password").and_then(Json::as_str).unwrap_or("");
        let Some(user) = user else {
            // Spend the time a real comparison takes, so that timing does not tell
            // whether the account exists.
            let _ = verify_password(plain, DUMMY_HASH);
            return Err(AuthError::LoginFailed.into());
        };
        if !self.has_password(&user, plain) {
            return Err(AuthError::LoginFailed.into());
        }
        if settings.email_verification_required
            && user.get("emailVerified") != Some(&Value::Bool(true))
        {
            let id = user
                .get(def.id_name())
                .map(Value::to_json)
                .unwrap_or(Json::Null);
            return Err(AuthError::EmailNotVerified { user_id: id }.into());
        }
        let ttl = match creds.get("ttl") {
            None | Some(Json::Null) => None,
            Some(Json::Number(n)) => n.as_f64(),
            Some(Json::String(s)) => Some(
                s.trim()
                    .parse::<f64>()
                    .map_err(|_| Error::bad_request(format!("Invalid ttl: {s}")))?,
            ),
            Some(other) => return Err(Error::bad_request(format!("Invalid ttl: {other}"))),
        };
        let token = self
            .create_access_token(&user, ttl, Vec::new(), options)
            .await?;
        let mut out = token.to_json();
        if include.iter().any(|i| i.eq_ignore_ascii_case("user")) {
            if let Json::Object(o) = &mut out {
                o.insert("user".into(), public_json(&def, &user));
            }
        }
        Ok(out)
    }

    /// Creates a token for `user` of this model (LB3's `user.createAccessToken`): the ttl
    /// is `min(ttl or the model's ttl, maxTTL)`.
    pub async fn create_access_token(
        &self,
        user: &Record,
        ttl: Option<f64>,
        scopes: Vec<String>,
        options: &Options,
    ) -> Result<AccessToken> {
        let def = self.definition();
        let settings = UserSettings::of(&def);
        let tokens = token_model_of(self).ok_or_else(|| {
            Error::Internal(format!(
                "user model `{}` has no AccessToken model attached",
                self.name()
            ))
        })?;
        let requested = ttl
            .filter(|t| *t != 0.0 && t.is_finite())
            .unwrap_or(settings.ttl);
        let ttl = requested.min(settings.max_ttl);
        let user_id = user
            .get(def.id_name())
            .cloned()
            .ok_or_else(|| Error::Internal("the user has no id".into()))?;
        // Several user models may share a token model only when its rows record whose token
        // each is: otherwise their users' equal ids could not be told apart (LB3's
        // multiple-principal bug).
        let app = self.app()?;
        let column = app.token_type_column(&tokens).await?;
        if column != TypeColumn::Recorded {
            let mut sharing: Vec<String> = users_of_token_model(&app, &tokens)
                .iter()
                .map(|u| format!("`{}`", u.name()))
                .collect();
            if sharing.len() > 1 {
                sharing.sort();
                let fix = if column == TypeColumn::Missing {
                    "its table has no `principalType` column: add it with `loopback migrate --autoupdate` (or `autoupdate` of its data source)".to_owned()
                } else {
                    format!("give `{}` a `principalType` string property", tokens.name())
                };
                return Err(Error::Internal(format!(
                    "the token model `{}` is shared by the user models {} but cannot record whose token it is; {fix}",
                    tokens.name(),
                    sharing.join(" and "),
                )));
            }
        }
        let mut rec = Record::new();
        rec.insert(
            "ttl",
            if ttl.fract() == 0.0 {
                Value::Int(ttl as i64)
            } else {
                Value::Float(ttl)
            },
        );
        if !scopes.is_empty() {
            rec.insert(
                "scopes",
                Value::Array(scopes.into_iter().map(Value::String).collect()),
            );
        }
        rec.insert("userId", user_id);
        if column == TypeColumn::Recorded {
            rec.insert(PRINCIPAL_TYPE, Value::String(self.name().to_owned()));
        }
        let saved = tokens.create(rec, &internal(options)).await?;
        let mut token = AccessToken::from_record(&saved)
            .ok_or_else(|| Error::Internal("the token model did not store the token".into()))?;
        token.user_model = Some(self.name().to_owned());
        app.type_token(&tokens, token).ok_or_else(|| {
            Error::Internal(format!(
                "the token model `{}` does not keep the tokens of `{}`",
                tokens.name(),
                self.name()
            ))
        })
    }

    /// Logs out (LB3's `User.logout`): deletes the token. No token is a 401
    /// `accessToken is required to logout`, an unknown one `Could not find accessToken`.
    pub async fn logout(&self, token_id: Option<&str>) -> Result<()> {
        let Some(id) = token_id.filter(|s| !s.is_empty()) else {
            return Err(http(401, None, "accessToken is required to logout"));
        };
        let tokens =
            token_model_of(self).ok_or_else(|| http(401, None, "Could not find accessToken"))?;
        let n = tokens
            .destroy_by_id(Value::String(id.to_owned()), &Options::new())
            .await?;
        if let Ok(app) = self.app() {
            app.auth().tokens.remove(id);
        }
        if n == 0 {
            return Err(http(401, None, "Could not find accessToken"));
        }
        Ok(())
    }

    /// Changes a user's password after checking the current one (LB3's
    /// `User.changePassword`). Other tokens of the user are deleted; the one in
    /// `options.access_token` survives.
    pub async fn change_password(
        &self,
        user_id: Value,
        old_password: &str,
        new_password: &str,
        options: &Options,
    ) -> Result<()> {
        let user = self.user_or_401(user_id, options).await?;
        if !self.has_password(&user, old_password) {
            return Err(http(
                400,
                Some("INVALID_PASSWORD"),
                "Invalid current password",
            ));
        }
        self.store_password(user, new_password, options).await
    }

    /// Sets a user's password without the current one (LB3's `User.setPassword`, what a
    /// reset token may call).
    pub async fn set_password(
        &self,
        user_id: Value,
        new_password: &str,
        options: &Options,
    ) -> Result<()> {
        let user = self.user_or_401(user_id, options).await?;
        self.store_password(user, new_password, options).await
    }

    /// The user matching `w`, read as the framework (no caller identity).
    async fn find_user(&self, w: Where, options: &Options) -> Result<Option<Record>> {
        self.find_one(Filter::with_where(w), &internal(options))
            .await
    }

    async fn user_or_401(&self, user_id: Value, options: &Options) -> Result<Record> {
        let shown = value_to_id_string(&user_id).unwrap_or_default();
        let id = self.coerce_id(user_id).unwrap_or(Value::Null);
        let found = if id.is_null() {
            None
        } else {
            self.find_by_id(id, None, &internal(options)).await?
        };
        found.ok_or_else(|| {
            http(
                401,
                Some("USER_NOT_FOUND"),
                format!("User {shown} not found"),
            )
        })
    }

    async fn store_password(
        &self,
        user: Record,
        new_password: &str,
        options: &Options,
    ) -> Result<()> {
        super::password::validate_password(new_password)?;
        let mut data = Record::new();
        data.insert("password", Value::String(new_password.to_owned()));
        let opts = options.clone().with("setPassword", true);
        self.patch_attributes(&user, data, &opts).await?;
        Ok(())
    }

    /// Starts a password reset (LB3's `User.resetPassword`): finds the user by `email`
    /// (and `realm`), creates a short-lived token (scoped to `reset-password` unless
    /// `restrictResetPasswordTokenScope` is off) and tells the listeners registered with
    /// [`ModelHandle::on_reset_password_request`], which send it to the user.
    pub async fn reset_password(&self, request: &Json, options: &Options) -> Result<()> {
        let def = self.definition();
        let settings = UserSettings::of(&def);
        let empty = Map::new();
        let o = request.as_object().unwrap_or(&empty);
        let Some(Json::String(email)) = o.get("email") else {
            return Err(bad("EMAIL_REQUIRED", "Email is required"));
        };
        if email.is_empty() {
            return Err(bad("EMAIL_REQUIRED", "Email is required"));
        }
        if let Some(p) = o.get("password") {
            match p {
                Json::String(p) => super::password::validate_password(p)?,
                _ => return Err(invalid_password()),
            }
        }
        let email = if settings.case_sensitive_email {
            email.clone()
        } else {
            email.to_lowercase()
        };
        let mut w = Where::eq("email", email.clone());
        if let Some(Json::String(r)) = o.get("realm") {
            w = w.and(Where::eq("realm", r.clone()));
        }
        let user = self
            .find_user(w, options)
            .await?
            .ok_or_else(|| http(404, Some("EMAIL_NOT_FOUND"), "Email not found"))?;
        if settings.email_verification_required
            && user.get("emailVerified") != Some(&Value::Bool(true))
        {
            return Err(http(
                401,
                Some("RESET_FAILED_EMAIL_NOT_VERIFIED"),
                "Email has not been verified",
            ));
        }
        let scopes = if settings.restrict_reset_scope {
            vec![RESET_PASSWORD_SCOPE.to_owned()]
        } else {
            Vec::new()
        };
        let token = self
            .create_access_token(&user, Some(settings.reset_ttl), scopes, options)
            .await?;
        let event = PasswordResetRequest {
            model: self.name().to_owned(),
            email,
            access_token: token,
            user,
            options: request.clone(),
        };
        let app = self.app()?;
        let listeners = super::read(&app.auth().reset_listeners)
            .get(self.name())
            .cloned()
            .unwrap_or_default();
        for l in listeners {
            l(event.clone());
        }
        Ok(())
    }

    /// Registers a listener of password-reset requests on this model (LB3's
    /// `User.on('resetPasswordRequest')`): it receives the token to send to the user.
    pub fn on_reset_password_request(
        &self,
        f: impl Fn(PasswordResetRequest) + Send + Sync + 'static,
    ) {
        if let Ok(app) = self.app() {
            super::write(&app.auth().reset_listeners)
                .entry(self.name().to_owned())
                .or_default()
                .push(Arc::new(f));
        }
    }

    /// Renders the HTML body of this model's verification emails with `f` (LB3's
    /// `verifyOptions.templateFn`), instead of the EJS `template` of the options. `f`
    /// receives the options as an EJS template would see them: those given, with LB3's
    /// defaults filled in, and `user` (the user, hidden properties included), `verifyHref`
    /// (the link, with the token), `verificationToken`, `to`, `subject`, `text`. An error
    /// it returns fails the call, and nothing is sent.
    ///
    /// ```no_run
    /// # fn demo(customers: &loopback_core::app::ModelHandle) {
    /// customers.set_verify_template_fn(|locals| {
    ///     let href = locals["verifyHref"].as_str().unwrap_or_default();
    ///     Ok(format!("<p><a href=\"{href}\">Confirm your address</a></p>"))
    /// });
    /// # }
    /// ```
    pub fn set_verify_template_fn(
        &self,
        f: impl Fn(&Json) -> Result<String> + Send + Sync + 'static,
    ) {
        if let Ok(app) = self.app() {
            super::write(&app.auth().verify_templates).insert(self.name().to_owned(), Arc::new(f));
        }
    }

    /// Confirms a user's email with the token of a verification email (LB3's
    /// `User.confirm`): unknown users are 404 `USER_NOT_FOUND`, wrong tokens 400
    /// `INVALID_TOKEN`.
    pub async fn confirm(&self, uid: &str, token: &str, options: &Options) -> Result<()> {
        let id = self
            .coerce_id(Value::String(uid.to_owned()))
            .unwrap_or(Value::Null);
        let user = if id.is_null() {
            None
        } else {
            self.find_by_id(id, None, &internal(options)).await?
        };
        let Some(user) = user else {
            return Err(http(
                404,
                Some("USER_NOT_FOUND"),
                format!("User not found: {uid}"),
            ));
        };
        let stored = match user.get("verificationToken") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => String::new(),
        };
        if stored.is_empty() || !constant_time_eq(stored.as_bytes(), token.as_bytes()) {
            return Err(http(
                400,
                Some("INVALID_TOKEN"),
                format!("Invalid token: {token}"),
            ));
        }
        let mut data = Record::new();
        data.insert("verificationToken", Value::Null);
        data.insert("emailVerified", Value::Bool(true));
        self.patch_attributes(&user, data, &internal(options))
            .await?;
        Ok(())
    }

    /// The options `POST /:id/verify` sends the verification email with (LB3's
    /// `User.getVerifyOptions()`): the model's `verifyOptions` setting, else
    /// `{"type": "email", "from": "noreply@example.com"}`.
    pub fn verify_options(&self) -> Json {
        self.definition()
            .setting("verifyOptions")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| json!({"type": "email", "from": "noreply@example.com"}))
    }

    /// Sends `user` an email with a link confirming their address (LB3's
    /// `user.verify(verifyOptions)`): a new random `verificationToken` (64 random bytes,
    /// hex) is stored on the user, and the link to `GET /confirm` carrying it is mailed.
    ///
    /// `verify_options` takes LB3's keys: `type` (`"email"`, required), `from` (required),
    /// `to` (default: the user's email), `subject` (`Thanks for Registering`), `text` (where
    /// `{href}` is replaced by the link), `headers`, `redirect` (`/`), `protocol` (`http`),
    /// `host`, `port` and `restApiRoot` (default: the app's settings, else `localhost`,
    /// `3000`, `/api`), `verifyHref` (instead of the link to this model's `confirm`), and
    /// `mailer`: the name of the mail data source to send with (default: the only one
    /// registered with [`App::register_mailer`]), and `template`: the EJS file rendering the
    /// HTML body (a relative path is taken from the current directory, as LB3's
    /// `path.resolve`; default: LB3's `templates/verify.ejs`), with the options as its
    /// locals (see [`set_verify_template_fn`](Self::set_verify_template_fn), which renders
    /// instead when set). Only the EJS that needs no JavaScript is rendered
    /// ([`EjsTemplate`](crate::mail::EjsTemplate)); a template with JavaScript, or naming a
    /// local that does not exist, fails the call with its file and line. As in LB3, an
    /// `html` option is not used: the template's output is the HTML body.
    pub async fn verify(
        &self,
        user: &Record,
        verify_options: &Json,
        options: &Options,
    ) -> Result<Verification> {
        let def = self.definition();
        let app = self.app()?;
        let empty = Map::new();
        let o = verify_options.as_object().unwrap_or(&empty);
        let text_of = |k: &str| -> Option<String> {
            match o.get(k) {
                Some(Json::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Json::Number(n)) => Some(n.to_string()),
                _ => None,
            }
        };
        let setting_text = |k: &str| -> Option<String> {
            match app.setting(k) {
                Some(Json::String(s)) if !s.is_empty() => Some(s),
                Some(Json::Number(n)) => Some(n.to_string()),
                _ => None,
            }
        };
        if text_of("type").as_deref() != Some("email") {
            return Err(Error::bad_request(
                "verifyOptions.type must be \"email\" (the only verification type)",
            ));
        }
        let from = text_of("from").ok_or_else(|| {
            Error::bad_request("Must include verifyOptions.from when calling user.verify()")
        })?;
        let to = text_of("to")
            .or_else(|| match user.get("email") {
                Some(Value::String(e)) if !e.is_empty() => Some(e.clone()),
                _ => None,
            })
            .ok_or_else(|| {
                Error::bad_request(
                    "Must include verifyOptions.to when calling user.verify() or the user must have an email property",
                )
            })?;
        let mailer = self.mailer_for(&app, text_of("mailer").as_deref())?;
        let uid = user
            .get(def.id_name())
            .filter(|v| !v.is_null())
            .cloned()
            .ok_or_else(|| Error::bad_request("the user has no id"))?;
        let mut href = match text_of("verifyHref") {
            Some(h) => h,
            None => {
                let confirm_disabled = self
                    .disabled_remote_methods()
                    .iter()
                    .any(|m| m == "confirm");
                if confirm_disabled {
                    return Err(Error::Internal(
                        "Cannot build user verification URL, the default confirm method is not public. Please provide the URL in verifyOptions.verifyHref.".into(),
                    ));
                }
                let protocol = text_of("protocol").unwrap_or_else(|| "http".into());
                let host = text_of("host")
                    .or_else(|| setting_text("host"))
                    .unwrap_or_else(|| "localhost".into());
                let port = text_of("port")
                    .or_else(|| setting_text("port"))
                    .unwrap_or_else(|| "3000".into());
                let root = text_of("restApiRoot")
                    .or_else(|| setting_text("restApiRoot"))
                    .unwrap_or_else(|| "/api".into());
                let default_port =
                    (protocol == "http" && port == "80") || (protocol == "https" && port == "443");
                let port = if default_port {
                    String::new()
                } else {
                    format!(":{port}")
                };
                let path =
                    join_url_path(&[&root, &format!("/{}", def.http_path_segment()), "/confirm"]);
                let uid_text = value_to_id_string(&uid).unwrap_or_default();
                let redirect = text_of("redirect").unwrap_or_else(|| "/".into());
                format!(
                    "{protocol}://{host}{port}{path}?uid={}&redirect={}",
                    uri_component(&uid_text),
                    uri_component(&redirect)
                )
            }
        };
        // A template file is read and parsed before the token is stored, so a broken
        // template changes nothing; rendering needs the token, so it comes after.
        let template_fn = super::read(&app.auth().verify_templates)
            .get(self.name())
            .cloned();
        let template_path = match o.get("template") {
            None | Some(Json::Null) => None,
            Some(Json::String(t)) if t.is_empty() => None,
            Some(Json::String(t)) => Some(
                std::path::absolute(t)
                    .map_err(|e| Error::Internal(format!("verifyOptions.template `{t}`: {e}")))?,
            ),
            Some(_) => {
                return Err(Error::bad_request(
                    "verifyOptions.template must be the path of an EJS template file",
                ))
            }
        };
        let template = match (&template_fn, &template_path) {
            (Some(_), _) => None,
            (None, Some(path)) => Some(crate::mail::EjsTemplate::from_file(path)?),
            (None, None) => Some(crate::mail::EjsTemplate::parse(
                DEFAULT_VERIFY_TEMPLATE,
                "verify.ejs",
            )?),
        };
        let token = verification_token()?;
        let mut data = Record::new();
        data.insert("verificationToken", Value::String(token.clone()));
        self.patch_attributes(user, data, &internal(options))
            .await?;
        href.push(if href.contains('?') { '&' } else { '?' });
        href.push_str("token=");
        href.push_str(&token);
        let text = text_of("text")
            .unwrap_or_else(|| {
                "Please verify your email by opening this link in a web browser:\n\t{href}".into()
            })
            .replace("{href}", &href);
        let subject = text_of("subject").unwrap_or_else(|| "Thanks for Registering".into());
        // The template's locals are LB3's: the options as given, with the defaults filled
        // in, the user, the link and the token.
        let mut locals = o.clone();
        let given = |k: &str| o.get(k).filter(|v| truthy(v)).cloned();
        let or_setting = |k: &str, default: Json| {
            given(k)
                .or_else(|| app.setting(k).filter(truthy))
                .unwrap_or(default)
        };
        locals.insert(
            "redirect".into(),
            given("redirect").unwrap_or_else(|| json!("/")),
        );
        if let Some(path) = &template_path {
            locals.insert("template".into(), json!(path.to_string_lossy()));
        }
        locals.insert("user".into(), user.to_json());
        locals.insert(
            "protocol".into(),
            given("protocol").unwrap_or_else(|| json!("http")),
        );
        locals.insert("host".into(), or_setting("host", json!("localhost")));
        locals.insert("port".into(), or_setting("port", json!(3000)));
        locals.insert(
            "restApiRoot".into(),
            or_setting("restApiRoot", json!("/api")),
        );
        locals.insert("verifyHref".into(), json!(href));
        locals.insert("to".into(), json!(to));
        locals.insert("subject".into(), json!(subject));
        locals.insert(
            "headers".into(),
            given("headers").unwrap_or_else(|| json!({})),
        );
        locals.insert("verificationToken".into(), json!(token));
        locals.insert("text".into(), json!(text));
        let locals = Json::Object(locals);
        let html = match (&template_fn, &template) {
            (Some(render), _) => render(&locals)?,
            (None, Some(template)) => template.render(&locals)?,
            (None, None) => String::new(),
        };
        let mut message = json!({
            "type": "email",
            "from": from,
            "to": to,
            "subject": subject,
            "text": text,
            "html": html,
        });
        if let Some(h) = o.get("headers").filter(|h| h.is_object()) {
            message["headers"] = h.clone();
        }
        // LB3 hands the whole options object to the mailer: its other message fields too.
        for key in ["cc", "bcc", "replyTo", "transport"] {
            if let Some(v) = o.get(key).filter(|v| !v.is_null()) {
                message[key] = v.clone();
            }
        }
        let message = crate::mail::Message::from_lb3_json(&message)?;
        let email = mailer.send(&message).await?;
        Ok(Verification { email, token, uid })
    }

    /// The mailer verification emails of this model go through: the mail data source
    /// `name`, else the only registered one.
    fn mailer_for(&self, app: &App, name: Option<&str>) -> Result<crate::mail::Mailer> {
        let mailers = super::read(&app.auth().mailers);
        if let Some(n) = name {
            return mailers.get(n).cloned().ok_or_else(|| {
                Error::Internal(format!("no mail data source `{n}` is registered"))
            });
        }
        let mut all = mailers.values();
        match (all.next(), all.next()) {
            (Some(m), None) => Ok(m.clone()),
            (None, _) => Err(Error::Internal(format!(
                "`{}` cannot send verification emails: no mail data source is registered (a `mail` connector in datasources.json, or App::register_mailer)",
                self.name()
            ))),
            _ => Err(Error::Internal(format!(
                "`{}` cannot tell which mail data source sends verification emails: name one in `verifyOptions.mailer`",
                self.name()
            ))),
        }
    }

    /// Whether this model is, or extends, the model named `name`.
    pub fn extends(&self, name: &str) -> bool {
        let mut m = Some(self.clone());
        while let Some(cur) = m {
            if cur.name() == name {
                return true;
            }
            m = cur.base_model();
        }
        false
    }
}

/// A bcrypt hash of a random string, compared against when a login names no account.
const DUMMY_HASH: &str = "$2b$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3pX1zN7Gq5b8p1wq9bQ0yQe";

/// LB3's `joinUrlPath`: the parts concatenated, without doubling a `/` where two meet.
fn join_url_path(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        if out.ends_with('/') && p.starts_with('/') {
            out.push_str(&p[1..]);
        } else {
            out.push_str(p);
        }
    }
    out
}

/// JavaScript's `encodeURIComponent`.
fn uri_component(s: &str) -> String {
    const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

/// LB3's `User.generateVerificationToken`: 64 random bytes, as hex.
fn verification_token() -> Result<String> {
    let mut buf = [0u8; 64];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("no random source: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The user as clients see it: hidden properties removed.
fn public_json(def: &ModelDefinition, user: &Record) -> Json {
    let mut o = user.to_json_map();
    o.retain(|k, _| !def.hides(k));
    Json::Object(o)
}

// ----- remote methods ------------------------------------------------------------------------

/// A string argument of a remote call (empty when missing; required ones are checked before).
fn arg_str(inv: &RemoteInvocation, name: &str) -> String {
    inv.args
        .get(name)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The token of the request, or the 401 LB3 answers when there is none.
fn caller(inv: &RemoteInvocation) -> Option<Arc<AccessToken>> {
    inv.options.access_token.clone()
}

/// The user id of the request's token for a method of this model (LB3's
/// `getUserIdFromRequestContext`): a token of another user model is 403.
fn caller_user_id(inv: &RemoteInvocation) -> Result<Value> {
    let Some(t) = caller(inv) else {
        return Err(AuthError::AuthorizationRequired.into());
    };
    if !t.is_of_user_model(inv.model.name()) {
        return Err(AuthError::AccessDenied.into());
    }
    t.user_id
        .clone()
        .ok_or_else(|| AuthError::AuthorizationRequired.into())
}

fn install_user_methods(model: &ModelHandle) {
    let Ok(app) = model.app() else {
        return;
    };
    let remotes = app.remotes();
    let name = model.name().to_owned();
    let add = |m: RemoteMethod, h: RemoteHandler| {
        if remotes.find(&name, &m.string_name()).is_none() {
            remotes.add(&name, m, Some(h));
        }
    };

    add(
        RemoteMethod::new("login")
            .description("Login a user with username/email and password.")
            .accepts(
                Accept::new("credentials", ArgType::Object)
                    .required()
                    .source(ArgSource::Body),
            )
            .accepts(
                Accept::new("include", ArgType::Array(Box::new(ArgType::String)))
                    .source(ArgSource::Query)
                    .description("Related objects to include in the response."),
            )
            .returns(Returns::root(ArgType::Object).description(
                "The response body contains properties of the AccessToken created on login.",
            ))
            .http(HttpVerb::Post, "/login"),
        RemoteHandler::new(|inv: RemoteInvocation| async move {
            let creds = inv.args.get("credentials").cloned().unwrap_or(Json::Null);
            let include: Vec<String> = match inv.args.get("include") {
                Some(Json::Array(a)) => a
                    .iter()
                    .filter_map(Json::as_str)
                    .map(str::to_owned)
                    .collect(),
                Some(Json::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            inv.model.login(&creds, &include, &inv.options).await
        }),
    );
    add(
        RemoteMethod::new("logout")
            .description("Logout a user with access token.")
            .http(HttpVerb::All, "/logout"),
        RemoteHandler::new(|inv: RemoteInvocation| async move {
            let id = caller(&inv).map(|t| t.id.clone());
            inv.model.logout(id.as_deref()).await?;
            Ok(Json::Null)
        }),
    );
    add(
        RemoteMethod::new("confirm")
            .description("Confirm a user registration with identity verification token.")
            .accepts(Accept::new("uid", ArgType::String).required())
            .accepts(Accept::new("token", ArgType::String).required())
            .accepts(Accept::new("redirect", ArgType::String))
            .returns(Returns::new("status", ArgType::Number).status())
            .returns(Returns::new("location", ArgType::String).header("Location"))
            .http(HttpVerb::Get, "/confirm"),
        RemoteHandler::new(|inv: RemoteInvocation| async move {
            inv.model
                .confirm(&arg_str(&inv, "uid"), &arg_str(&inv, "token"), &inv.options)
                .await?;
            // No redirect: no status or Location of its own (LB3's 204).
            Ok(match inv.args.get("redirect").and_then(Json::as_str) {
                Some(r) => json!([302, r]),
                None => json!([null, null]),
            })
        }),
    );
    add(
        RemoteMethod::new("prototype.verify")
            .description("Trigger user's identity verification with configured verifyOptions")
            .http(HttpVerb::Post, "/verify"),
        RemoteHandler::new(|inv: RemoteInvocation| async move {
            let Some(user) = inv.instance.clone() else {
                return Err(Error::Internal("verify needs the user".into()));
            };
            let verify_options = inv.model.verify_options();
            inv.model
                .verify(&user, &verify_options, &inv.options)
                .await?;
            Ok(Json::Null)
        }),
    );
    add(
        RemoteMethod::new("resetPassword")
            .description("Reset password for a user with email.")
            .accepts(
                Accept::new("options", ArgType::Object)
                    .required()
                    .source(ArgSource::Body),
            )
            .http(HttpVerb::Post, "/reset"),
        RemoteHandler::new(|inv: RemoteInvocation| async move {
            let o = inv.args.get("options").cloned().unwrap_or(Json::Null);
            inv.model.reset_password(&o, &inv.options).await?;
            Ok(Json::Null)
        }),
    );
    add(
        RemoteMethod::new("changePassword")
            .description("Change a user's password.")
            .accepts(
                Accept::new("oldPassword", ArgType::String)
                    .required()
                    .source(ArgSource::Form),
            )
            .accepts(
                Accept::new("newPassword", ArgType::String)
                    .required()
                    .source(ArgSource::Form),
            )
            .http(HttpVerb::Post, "/change-password"),
        RemoteHandler::new(|inv: RemoteInvocation| async move {
            let id = caller_user_id(&inv)?;
            inv.model
                .change_password(
                    id,
                    &arg_str(&inv, "oldPassword"),
                    &arg_str(&inv, "newPassword"),
                    &inv.options,
                )
                .await?;
            Ok(Json::Null)
        }),
    );
    let restrict = UserSettings::of(&model.definition()).restrict_reset_scope;
    let mut set_password = RemoteMethod::new("setPassword")
        .description("Reset user's password via a password-reset token.")
        .accepts(
            Accept::new("newPassword", ArgType::String)
                .required()
                .source(ArgSource::Form),
        )
        .http(HttpVerb::Post, "/reset-password");
    if restrict {
        set_password.access_scopes = vec![RESET_PASSWORD_SCOPE.to_owned()];
    }
    add(
        set_password,
        RemoteHandler::new(|inv: RemoteInvocation| async move {
            let id = caller_user_id(&inv)?;
            let p = arg_str(&inv, "newPassword");
            inv.model.set_password(id, &p, &inv.options).await?;
            Ok(Json::Null)
        }),
    );
}
