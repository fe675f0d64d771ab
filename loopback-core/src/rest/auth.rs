//! Access control in the REST layer: the token of a request (LB3's `loopback.token`
//! middleware), `currentUserLiteral`, and the ACL check of each call, includes too.

use std::sync::Arc;

use base64::Engine;
use http::request::Parts;
use serde_json::Value as Json;

use crate::app::{App, ModelHandle};
use crate::auth::{truthy, AccessContext, AccessToken, AccessType};
use crate::connector::Options;
use crate::error::{AuthError, Result};
use crate::filter::{Filter, Include};
use crate::value::Value;

/// Where the access token of a request is looked for: LB3's `loopback.token()` options
/// `params`, `headers`, `cookies`, `searchDefaultTokenKeys` and `bearerTokenBase64Encoded`.
///
/// The default is LB3's: the `access_token` query parameter, then the `X-Access-Token` and
/// `Authorization` headers (`Bearer` values base64-decoded, `Basic` ones split at `:`), then an
/// `access_token` or `authorization` **signed** cookie. Names given here are searched before
/// those defaults, each list in its own place (parameters, then headers, then cookies), unless
/// [`search_default_keys(false)`](Self::search_default_keys) leaves the defaults out.
/// Empty parameters and headers are skipped.
///
/// Cookies are read only when [`cookie_secrets`](Self::cookie_secrets) are set, and only
/// signed ones (LB3 reads `req.signedCookies`, which exist only when `cookie-parser` runs
/// with a secret): a plain cookie would let any site the user visits call the API with the
/// user's credentials (CSRF). Cookies signed with none of the secrets are ignored.
///
/// ```
/// use loopback_core::rest::TokenLookup;
/// let lookup = TokenLookup::new()
///     .headers(["X-Foo-Auth"])
///     .params(["foo_auth"])
///     .cookie_secrets(["current secret", "previous secret"])
///     .search_default_keys(false);
/// # let _ = lookup;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenLookup {
    params: Vec<String>,
    /// Lower-case header names.
    headers: Vec<String>,
    cookies: Vec<String>,
    /// cookie-parser's secrets; without any, no cookie is read.
    cookie_secrets: Vec<String>,
    default_keys: bool,
    bearer_base64: bool,
    /// The token model tokens are looked up in; `None`: the app's.
    model: Option<String>,
}

impl std::fmt::Debug for TokenLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenLookup")
            .field("params", &self.params)
            .field("headers", &self.headers)
            .field("cookies", &self.cookies)
            // Secrets are never printed.
            .field("cookie_secrets", &self.cookie_secrets.len())
            .field("default_keys", &self.default_keys)
            .field("bearer_base64", &self.bearer_base64)
            .field("model", &self.model)
            .finish()
    }
}

impl Default for TokenLookup {
    fn default() -> Self {
        TokenLookup {
            params: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            cookie_secrets: Vec::new(),
            default_keys: true,
            bearer_base64: true,
            model: None,
        }
    }
}

impl TokenLookup {
    /// LB3's default places.
    pub fn new() -> Self {
        Self::default()
    }

    /// Query parameters to read the token from, before `access_token` (LB3's `params`).
    pub fn params<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.params = names.into_iter().map(Into::into).collect();
        self
    }

    /// Request headers to read the token from, before `X-Access-Token` and `Authorization`
    /// (LB3's `headers`). Names are case-insensitive.
    pub fn headers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.headers = names
            .into_iter()
            .map(|n| n.into().to_ascii_lowercase())
            .collect();
        self
    }

    /// Signed cookies to read the token from, before `access_token` and `authorization`
    /// (LB3's `cookies`). Read only with [`cookie_secrets`](Self::cookie_secrets).
    pub fn cookies<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cookies = names.into_iter().map(Into::into).collect();
        self
    }

    /// The secrets cookies are signed with (`cookie-parser`'s `secret`, a string or a list):
    /// a cookie is read when one of them verifies its signature, so a new secret goes first
    /// and the previous ones after it while old cookies are still about. Cookies are signed
    /// as [`sign_cookie`](super::sign_cookie) does. Empty secrets are dropped (an empty key
    /// would let anyone sign); without a secret, which is the default, no cookie is read.
    pub fn cookie_secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cookie_secrets = secrets
            .into_iter()
            .map(Into::into)
            .filter(|s: &String| !s.is_empty())
            .collect();
        self
    }

    /// Whether the default names are searched too (LB3's `searchDefaultTokenKeys`, default
    /// `true`). With `false` only the names given are.
    pub fn search_default_keys(mut self, yes: bool) -> Self {
        self.default_keys = yes;
        self
    }

    /// Whether the value of a `Bearer` header is base64-decoded (LB3's
    /// `bearerTokenBase64Encoded`, default `true`); with `false` it is the token as sent.
    pub fn bearer_base64(mut self, yes: bool) -> Self {
        self.bearer_base64 = yes;
        self
    }

    /// The token model tokens are looked up in (LB3's `model` option): a model based on
    /// `AccessToken`. By default, the app's token model: the one named `AccessToken`, else
    /// the first extending it.
    pub fn model(mut self, name: impl Into<String>) -> Self {
        self.model = Some(name.into());
        self
    }

    /// The token model set with [`model`](Self::model).
    pub fn token_model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The names of one place: the custom ones, then the defaults when they are searched.
    fn names<'a>(
        &'a self,
        custom: &'a [String],
        defaults: &'static [&'static str],
    ) -> impl Iterator<Item = &'a str> {
        let defaults: &[&str] = if self.default_keys { defaults } else { &[] };
        custom
            .iter()
            .map(String::as_str)
            .chain(defaults.iter().copied())
    }

    /// The token id `parts` carries, `None` when there is none.
    pub(crate) fn token_id(&self, parts: &Parts) -> Option<String> {
        if let Some(q) = parts.uri.query() {
            for name in self.names(&self.params, &["access_token"]) {
                if let Ok(Some(Json::String(s))) = crate::filter::query_value(q, name) {
                    if !s.is_empty() {
                        return Some(s);
                    }
                }
            }
        }
        for name in self.names(&self.headers, &["x-access-token", "authorization"]) {
            for v in parts.headers.get_all(name) {
                let Ok(v) = v.to_str() else { continue };
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                return Some(self.header_token(v));
            }
        }
        if self.cookie_secrets.is_empty() {
            return None;
        }
        // As LB3: the first name with a signed string value gives the token, even an empty
        // one (which is no token).
        self.names(&self.cookies, &["access_token", "authorization"])
            .find_map(|name| {
                super::cookies::signed_cookie(&parts.headers, name, &self.cookie_secrets)
            })
    }

    /// The token of a non-empty header value: `Bearer` (base64-decoded unless configured
    /// otherwise), `Basic` (the longer half of `a:b`), or the value itself.
    fn header_token(&self, v: &str) -> String {
        if let Some(rest) = v.strip_prefix("Bearer ") {
            if !self.bearer_base64 {
                return rest.trim().to_owned();
            }
            // A Bearer value that is not base64 is no token (LB3 decodes it to garbage).
            return base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
        }
        if v.len() > 6 && v.is_char_boundary(6) && v[..6].eq_ignore_ascii_case("basic ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(v[6..].trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let (a, b) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
            let t = if a.len() >= b.len() { a } else { b };
            return t.to_owned();
        }
        v.to_owned()
    }
}

/// The caller's token, looked for as `lookup` says: `Ok(None)` for anonymous callers and
/// unknown tokens, 401 `INVALID_TOKEN` for expired ones.
pub(crate) async fn caller(
    app: &App,
    parts: &Parts,
    lookup: &TokenLookup,
) -> Result<Option<Arc<AccessToken>>> {
    match lookup.token_id(parts) {
        Some(id) if !id.is_empty() => match &lookup.model {
            Some(model) => app.resolve_access_token_in(model, &id).await,
            None => app.resolve_access_token(&id).await,
        },
        _ => Ok(None),
    }
}

/// Replaces each path segment equal to `literal` with the caller's user id (LB3's
/// `currentUserLiteral`); a path using it without a token is 401.
pub(crate) fn rewrite_current_user(
    path: &str,
    literal: &str,
    token: Option<&AccessToken>,
) -> Result<Option<String>> {
    if !path.split('/').any(|s| s == literal) {
        return Ok(None);
    }
    let Some(id) = token.and_then(AccessToken::user_id_string) else {
        return Err(AuthError::AuthorizationRequired.into());
    };
    let encoded =
        percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC).to_string();
    let out: Vec<&str> = path
        .split('/')
        .map(|s| if s == literal { encoded.as_str() } else { s })
        .collect();
    Ok(Some(out.join("/")))
}

/// Checks a call of `method` (its name and aliases) on `model`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn authorize(
    app: &App,
    model: &ModelHandle,
    name: &str,
    aliases: &[String],
    access_type: AccessType,
    access_scopes: &[String],
    model_id: Option<Value>,
    token: Option<&Arc<AccessToken>>,
) -> Result<()> {
    let mut method_names = Vec::with_capacity(aliases.len() + 1);
    method_names.push(name.to_owned());
    method_names.extend(aliases.iter().cloned());
    let ctx = AccessContext {
        model: model.clone(),
        model_id,
        property: name.to_owned(),
        method_names,
        access_type,
        access_scopes: access_scopes.to_vec(),
        access_token: token.cloned(),
    };
    app.authorize(&ctx).await.map(|_| ())
}

/// Every relation of `filter`'s `include` (at any depth) is a READ (`find`) of its target
/// model by the same caller: a caller who may not list a model may not include it either.
pub(crate) async fn authorize_includes(
    app: &App,
    model: &ModelHandle,
    filter: &Filter,
    options: &Options,
) -> Result<()> {
    if !app.is_auth_enabled() || filter.include.is_empty() {
        return Ok(());
    }
    let mut stack: Vec<(ModelHandle, &Include)> =
        filter.include.iter().map(|i| (model.clone(), i)).collect();
    while let Some((owner, inc)) = stack.pop() {
        let Ok(rel) = owner.relation(&inc.relation) else {
            continue;
        };
        // Never included (LB3 skips it silently), so nothing is read.
        if rel.disable_include {
            continue;
        }
        let targets: Vec<ModelHandle> = match rel.target.as_deref() {
            Some(t) => app.model(t).into_iter().collect(),
            // A polymorphic belongsTo may reach any model: each must allow it.
            None => app.models(),
        };
        for target in targets {
            authorize(
                app,
                &target,
                "find",
                &[],
                AccessType::Read,
                &[],
                None,
                options.access_token.as_ref(),
            )
            .await?;
            if let Some(scope) = &inc.scope {
                for nested in &scope.include {
                    stack.push((target.clone(), nested));
                }
            }
        }
    }
    Ok(())
}

/// What clients may not set on a user over REST: `verificationToken` never (it would let
/// them confirm an address they do not own), `emailVerified` only as `false` on create (LB3
/// forces it there) and not at all on updates.
pub(crate) fn sanitize_user_body(
    model: &ModelHandle,
    op: super::routes::Op,
    body: Option<Json>,
) -> Option<Json> {
    use super::routes::Op;
    if model.builtin_kind() != Some(crate::auth::BuiltinKind::User) {
        return body;
    }
    let create = matches!(op, Op::Create);
    let clean = |o: &mut serde_json::Map<String, Json>| {
        o.remove("verificationToken");
        if create {
            if o.get("emailVerified").is_some_and(truthy) {
                o.insert("emailVerified".into(), Json::Bool(false));
            }
        } else {
            o.remove("emailVerified");
        }
    };
    let mut body = body;
    match body.as_mut() {
        Some(Json::Object(o)) => clean(o),
        Some(Json::Array(items)) => {
            for i in items {
                if let Json::Object(o) = i {
                    clean(o);
                }
            }
        }
        _ => {}
    }
    body
}
