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

/// The token id a request carries, searched as LB3's token middleware does: the
/// `access_token` query parameter, then the `X-Access-Token` and `Authorization` headers
/// (`Bearer` values base64-decoded, `Basic` ones split at `:`), then an `access_token` or
/// `authorization` cookie. Empty values are skipped.
pub(crate) fn token_id(parts: &Parts) -> Option<String> {
    if let Some(q) = parts.uri.query() {
        if let Ok(Some(Json::String(s))) = crate::filter::query_value(q, "access_token") {
            if !s.is_empty() {
                return Some(s);
            }
        }
    }
    for name in ["x-access-token", "authorization"] {
        for v in parts.headers.get_all(name) {
            let Ok(v) = v.to_str() else { continue };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            if let Some(rest) = v.strip_prefix("Bearer ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(rest.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                // A Bearer value that is not base64 is no token (LB3 decodes it to garbage).
                match decoded {
                    Some(t) if !t.is_empty() => return Some(t),
                    _ => return Some(String::new()),
                }
            }
            if v.len() > 6 && v[..6].eq_ignore_ascii_case("basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(v[6..].trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let (a, b) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
                let t = if a.len() >= b.len() { a } else { b };
                return Some(t.to_owned());
            }
            return Some(v.to_owned());
        }
    }
    for v in parts.headers.get_all(http::header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for pair in v.split(';') {
            let (k, val) = pair.trim().split_once('=').unwrap_or(("", ""));
            if (k == "access_token" || k == "authorization") && !val.is_empty() {
                let val = percent_encoding::percent_decode_str(val).decode_utf8_lossy();
                return Some(val.into_owned());
            }
        }
    }
    None
}

/// The caller's token: `Ok(None)` for anonymous callers and unknown tokens, 401
/// `INVALID_TOKEN` for expired ones.
pub(crate) async fn caller(app: &App, parts: &Parts) -> Result<Option<Arc<AccessToken>>> {
    match token_id(parts) {
        Some(id) if !id.is_empty() => app.resolve_access_token(&id).await,
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
