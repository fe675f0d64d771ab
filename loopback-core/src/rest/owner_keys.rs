//! Owner keys are not a client's to give away: over REST, the properties through which
//! `$owner` recognises a user (`userId`, `owner`, the key of a belongsTo to a user model) may
//! be set on a new record only to the caller's own id (or left empty), are never changed on a
//! stored one, and are not written by `updateAll` or `upsertWithWhere`.
//!
//! LB3 let any caller who could write a record set these keys, so a user could create
//! records in another user's name, hand their own records over, or make themselves the
//! `$owner` of a record they could only edit and so gain the owner's other rights. Models
//! that want LB3's behaviour set `"protectOwnerKeys": false`; `"ownerKeyRoles": ["admin"]`
//! lets the members of those roles set owner keys freely.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::input;
use super::routes::{Op, RelRoute};
use crate::app::{App, ModelHandle};
use crate::auth::{AccessContext, AccessToken, AccessType, BuiltinKind};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::model::RelationKind;
use crate::value::Value;

/// A property through which `$owner` recognises a user.
struct OwnerKey {
    property: String,
    /// The user model the key points at; `None` for the legacy `userId`/`owner` keys, which
    /// any user model's id may fill.
    user_model: Option<String>,
}

/// The owner keys of `model`, as `$owner` reads them: with `ownerRelations`, the keys of
/// those belongsTo relations to user models; otherwise `userId`, `owner` and, for each user
/// model, the key of the first belongsTo to it. User models own themselves by id and have
/// none.
fn owner_keys(app: &App, model: &ModelHandle) -> Vec<OwnerKey> {
    if model.builtin_kind() == Some(BuiltinKind::User) {
        return Vec::new();
    }
    let (relations, explicit) = crate::auth::owner_relations(app, model);
    let mut keys = Vec::new();
    if !explicit {
        for legacy in ["userId", "owner"] {
            keys.push(OwnerKey {
                property: legacy.to_owned(),
                user_model: None,
            });
        }
    }
    for (property, user_model) in relations {
        // Legacy mode reads the first relation to each user model only.
        let seen = keys
            .iter()
            .any(|k| k.user_model.as_deref() == Some(user_model.as_str()));
        if !explicit && seen {
            continue;
        }
        keys.retain(|k| k.property != property);
        keys.push(OwnerKey {
            property,
            user_model: Some(user_model),
        });
    }
    keys
}

/// Whether `model` guards its owner keys (`protectOwnerKeys`, default on).
fn protected(model: &ModelHandle) -> bool {
    !matches!(
        model.definition().setting("protectOwnerKeys"),
        Some(Json::Bool(false))
    )
}

/// The id text of a JSON value, as `$owner` compares ids.
fn id_text(v: &Json) -> Option<String> {
    crate::auth::value_to_id_string(&Value::from_json(v))
}

/// How a write may treat owner keys.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// A new record: its owner is the caller, or nobody.
    Create,
    /// A stored record: its owner stays as stored.
    Update,
    /// Records chosen by a `where`: owner keys may not be written at all.
    Bulk,
}

/// Checks the owner keys a REST write of `op` on `model` carries in `body`: new records may
/// be owned by the caller or by nobody, stored records keep their owner, and `updateAll` and
/// `upsertWithWhere` may not write owner keys. The model's `ownerKeyRoles` are exempt. `id`
/// and `fk` are the raw path segments, `rel` the relation of a relation route.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn check(
    app: &App,
    model: &ModelHandle,
    op: Op,
    rel: Option<&RelRoute>,
    id: Option<&str>,
    fk: Option<&str>,
    body: Option<&Json>,
    token: Option<&Arc<AccessToken>>,
) -> Result<()> {
    let Some(body) = body else { return Ok(()) };
    let mode = match op {
        Op::Create | Op::RelCreate | Op::PatchOrCreate | Op::ReplaceOrCreate => Mode::Create,
        Op::ReplaceById | Op::PatchAttributes | Op::RelUpdate | Op::RelUpdateById => Mode::Update,
        Op::UpdateAll | Op::UpsertWithWhere => Mode::Bulk,
        _ => return Ok(()),
    };
    // The model written: the relation's target on relation routes.
    let (target, relation_key) = match rel {
        Some(r) => {
            let Ok(resolved) = model.relation(&r.name) else {
                return Ok(());
            };
            let Some(target) = resolved.target.as_deref().and_then(|t| app.model(t)) else {
                return Ok(());
            };
            // The relation sets its own key from the path.
            let key = matches!(resolved.kind, RelationKind::HasMany | RelationKind::HasOne)
                .then(|| resolved.key_to.clone());
            (target, key)
        }
        None => (model.clone(), None),
    };
    if !protected(&target) {
        return Ok(());
    }
    let mut keys = owner_keys(app, &target);
    if let Some(k) = &relation_key {
        keys.retain(|o| &o.property != k);
    }
    let objects: Vec<&Map<String, Json>> = match body {
        Json::Object(o) => vec![o],
        Json::Array(items) => items.iter().filter_map(Json::as_object).collect(),
        _ => return Ok(()),
    };
    let written = |o: &Map<String, Json>| keys.iter().any(|k| o.contains_key(&k.property));
    if !objects.iter().any(|o| written(o)) {
        return Ok(());
    }
    let caller = token.and_then(|t| t.user_id_string().map(|id| (t, id)));
    let is_callers = |key: &OwnerKey, value: &Json| -> bool {
        let Some((token, caller_id)) = &caller else {
            return false;
        };
        // A key of a relation to a user model holds that model's users: only its tokens
        // match it, as for `$owner`.
        let model_matches = key
            .user_model
            .as_deref()
            .map_or(true, |m| token.is_of_user_model(m));
        model_matches && id_text(value).as_deref() == Some(caller_id.as_str())
    };
    for data in objects {
        // What the addressed instance holds now: upserts of a stored id are updates.
        let stored = match (mode, op) {
            (Mode::Bulk, _) | (Mode::Create, Op::Create | Op::RelCreate) => None,
            _ => stored_instance(model, &target, op, rel, id, fk, data).await?,
        };
        let mode = match (mode, &stored) {
            (Mode::Create, Some(_)) => Mode::Update,
            (m, _) => m,
        };
        for key in &keys {
            let Some(value) = data.get(&key.property) else {
                continue;
            };
            let allowed = match mode {
                Mode::Create => value.is_null() || is_callers(key, value),
                Mode::Update => {
                    let held = stored
                        .as_ref()
                        .and_then(|r| r.get(&key.property))
                        .map_or(Json::Null, Value::to_json);
                    id_text(&held) == id_text(value)
                }
                Mode::Bulk => false,
            };
            if allowed {
                continue;
            }
            if exempt(app, &target, token).await? {
                return Ok(());
            }
            return Err(refusal(&target, &key.property, mode, caller.is_some()));
        }
    }
    Ok(())
}

/// The stored instance a write addresses, when there is one: by `:fk` on relation routes
/// (the related instance of a hasOne), `:id` on instance routes, the body's id on upserts.
async fn stored_instance(
    model: &ModelHandle,
    target: &ModelHandle,
    op: Op,
    rel: Option<&RelRoute>,
    id: Option<&str>,
    fk: Option<&str>,
    data: &Map<String, Json>,
) -> Result<Option<crate::value::Record>> {
    let internal = Options::new();
    let by_id = |raw: Option<&str>| -> Result<Option<Value>> {
        match raw {
            Some(raw) => Ok(input::id_arg(target, raw)?.value),
            None => Ok(None),
        }
    };
    let id_value = match op {
        Op::RelUpdateById => by_id(fk)?,
        Op::ReplaceById | Op::PatchAttributes => by_id(id)?,
        Op::PatchOrCreate | Op::ReplaceOrCreate => {
            let def = target.definition();
            data.get(def.id_name())
                .filter(|v| !v.is_null())
                .and_then(|v| target.coerce_id(Value::from_json(v)).ok())
        }
        Op::RelUpdate => {
            let (Some(raw), Some(rel)) = (id, rel) else {
                return Ok(None);
            };
            let Some(owner_id) = input::id_arg(model, raw)?.value else {
                return Ok(None);
            };
            let Some(owner) = model.find_by_id(owner_id, None, &internal).await? else {
                return Ok(None);
            };
            return model.related(&owner, &rel.name)?.get(&internal).await;
        }
        _ => None,
    };
    match id_value {
        Some(v) => target.find_by_id(v, None, &internal).await,
        None => Ok(None),
    }
}

/// Whether the caller holds one of the model's `ownerKeyRoles`.
async fn exempt(app: &App, model: &ModelHandle, token: Option<&Arc<AccessToken>>) -> Result<bool> {
    let Some(Json::Array(roles)) = model.definition().setting("ownerKeyRoles").cloned() else {
        return Ok(false);
    };
    let ctx = AccessContext {
        model: model.clone(),
        model_id: None,
        property: String::new(),
        method_names: Vec::new(),
        access_type: AccessType::Write,
        access_scopes: Vec::new(),
        access_token: token.cloned(),
    };
    for role in roles.iter().filter_map(Json::as_str) {
        if crate::auth::is_in_role(app, role, &ctx).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn refusal(model: &ModelHandle, property: &str, mode: Mode, authenticated: bool) -> Error {
    if !authenticated && mode == Mode::Create {
        return crate::error::AuthError::AuthorizationRequired.into();
    }
    let rule = match mode {
        Mode::Create => "may only be set to the caller's own id",
        Mode::Update => "cannot be changed",
        Mode::Bulk => "cannot be set by updateAll or upsertWithWhere",
    };
    Error::Http {
        status: 403,
        name: "Error".to_owned(),
        code: Some("OWNER_KEY_NOT_SETTABLE".to_owned()),
        message: format!("{property} of a {} {rule}", model.name()),
    }
}
