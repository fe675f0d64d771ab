//! The access check (LB3's `ACL.checkAccessForContext`): who the caller is, which rules apply
//! to them (principals and roles), and the permission those rules resolve to.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::acl::{
    self, AccessRequest, AccessType, AclRule, Permission, PrincipalType, AUTHENTICATED, EVERYONE,
    OWNER, UNAUTHENTICATED,
};
use super::token::{value_to_id_string, AccessToken};
use super::BuiltinKind;
use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{AuthError, Error, Result};
use crate::filter::{Filter, Where};
use crate::model::RelationKind;
use crate::value::Value;

/// One principal of a caller: a user (of the type its token names) or an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `USER`, `APP`, or a user model's name.
    pub principal_type: String,
    /// The id, as LB3 compares ids (a string).
    pub id: String,
}

/// Everything an access check needs to know: LB3's `AccessContext`.
#[derive(Debug, Clone)]
pub struct AccessContext {
    /// The model whose method is called.
    pub model: ModelHandle,
    /// The instance addressed, for `$owner` (`:id` of the route, or `id` in the body or
    /// query of a static method).
    pub model_id: Option<Value>,
    /// The method's canonical name, without `prototype.` (`find`, `patchAttributes`,
    /// `__get__orders`).
    pub property: String,
    /// The method's name and aliases (`patchAttributes`, `updateAttributes`).
    pub method_names: Vec<String>,
    /// What the method does.
    pub access_type: AccessType,
    /// The scopes that may call the method (empty: `DEFAULT`).
    pub access_scopes: Vec<String>,
    /// The caller's token; `None` for anonymous callers.
    pub access_token: Option<Arc<AccessToken>>,
}

impl AccessContext {
    /// The caller's principals (none for anonymous callers).
    pub fn principals(&self) -> Vec<Principal> {
        let mut out = Vec::new();
        if let Some(t) = &self.access_token {
            if let Some(id) = t.user_id_string() {
                out.push(Principal {
                    principal_type: t.principal_type.clone(),
                    id,
                });
            }
            if let Some(app) = &t.app_id {
                out.push(Principal {
                    principal_type: "APP".into(),
                    id: app.clone(),
                });
            }
        }
        out
    }

    /// Whether the caller has a user or application principal.
    pub fn is_authenticated(&self) -> bool {
        self.access_token
            .as_ref()
            .is_some_and(|t| t.user_id_string().is_some() || t.app_id.is_some())
    }
}

/// The outcome of an access check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecision {
    /// Whether the call may go ahead.
    pub allowed: bool,
    /// The permission resolved (after the model's `defaultPermission`).
    pub permission: Permission,
    /// The roles whose rules matched and allow (LB3's `options.authorizedRoles`).
    pub authorized_roles: Vec<String>,
}

/// A custom role resolver (LB3's `Role.registerResolver`): whether the caller of `ctx` is in
/// the role.
pub type RoleResolver =
    Arc<dyn Fn(AccessContext) -> BoxFuture<'static, Result<bool>> + Send + Sync>;

impl App {
    /// Registers a resolver for a dynamic role (LB3's `Role.registerResolver`); it replaces
    /// a resolver registered under the same name and takes precedence over static roles of
    /// that name.
    ///
    /// ```no_run
    /// # fn demo(app: &loopback_core::App) {
    /// app.register_role_resolver("teamMember", |ctx| async move {
    ///     Ok(ctx.model.name() == "Project" && ctx.is_authenticated())
    /// });
    /// # }
    /// ```
    pub fn register_role_resolver<F, Fut>(&self, role: &str, f: F)
    where
        F: Fn(AccessContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<bool>> + Send + 'static,
    {
        let f: RoleResolver = Arc::new(move |ctx| Box::pin(f(ctx)));
        super::write(&self.auth().resolvers).insert(role.to_owned(), f);
    }

    /// Decides whether the caller of `ctx` may call the method, as LB3's ACL engine does:
    /// the scope gate, then static ACLs (the model's, inherited ones included) and the rows
    /// of the ACL model, kept when their principal is the caller or a role the caller is in,
    /// scored by specificity; no rule at all means the model's `defaultPermission` (ALLOW).
    pub async fn check_access(&self, ctx: &AccessContext) -> Result<AccessDecision> {
        let denied = AccessDecision {
            allowed: false,
            permission: Permission::Deny,
            authorized_roles: Vec::new(),
        };
        if let Some(t) = &ctx.access_token {
            if !t.allows_scopes(&ctx.access_scopes) {
                tracing::debug!(target: "loopback::security::acl", token_scopes = ?t.scopes, method_scopes = ?ctx.access_scopes, "scope mismatch");
                return Ok(denied);
            }
        } else if !ctx.access_scopes.is_empty()
            && !ctx.access_scopes.iter().any(|s| s == super::DEFAULT_SCOPE)
        {
            return Ok(denied);
        }
        let def = ctx.model.definition();
        let names: Vec<&str> = ctx.method_names.iter().map(String::as_str).collect();
        if tracing::enabled!(target: "loopback::security::access_context", tracing::Level::DEBUG) {
            // LB3's AccessContext debug output, without the token id (a secret).
            let token = ctx.access_token.as_deref();
            tracing::debug!(
                target: "loopback::security::access_context",
                model = %def.name,
                model_id = ?ctx.model_id,
                property = %ctx.property,
                method_names = ?ctx.method_names,
                access_type = %ctx.access_type,
                access_scopes = ?ctx.access_scopes,
                principals = ?ctx.principals(),
                authenticated = ctx.is_authenticated(),
                user_model = ?token.and_then(|t| t.user_model.as_deref()),
                token_scopes = ?token.map(|t| &t.scopes),
                token_ttl = ?token.map(|t| t.ttl),
                "access context"
            );
        }
        // Rows of the ACL model first, then the model's static rules (compiled when it was
        // defined), each kept when it names the method or every method.
        let dynamic = self.dynamic_acls().await?;
        let candidates = dynamic
            .iter()
            .filter(|r| dynamic_row_applies(r, ctx, &names))
            .chain(
                ctx.model
                    .static_acl()
                    .iter()
                    .filter(|r| r.names_method(&names)),
            );
        let principals = ctx.principals();
        let mut roles = RoleCache::default();
        let mut effective: Vec<&AclRule> = Vec::new();
        for rule in candidates {
            let exact = principals.iter().any(|p| {
                p.principal_type == rule.principal_type.as_str() && p.id == rule.principal_id
            });
            if exact
                || (rule.principal_type == PrincipalType::Role
                    && roles.is_in_role(self, &rule.principal_id, ctx).await?)
            {
                effective.push(rule);
            }
        }
        let req = AccessRequest {
            model: &def.name,
            property: &ctx.property,
            method_names: &names,
            access_type: ctx.access_type,
        };
        let resolution = acl::resolve(&effective, &req);
        let mut permission = resolution.permission;
        if permission == Permission::Unspecified {
            permission = default_permission(&def);
        }
        let allowed = permission != Permission::Deny;
        let authorized_roles = if allowed {
            effective
                .iter()
                .filter(|r| {
                    r.principal_type == PrincipalType::Role && r.permission != Permission::Deny
                })
                .map(|r| r.principal_id.clone())
                .collect()
        } else {
            Vec::new()
        };
        tracing::debug!(
            target: "loopback::security::acl",
            model = %def.name,
            property = %ctx.property,
            access_type = %ctx.access_type,
            principals = ?principals,
            rule = ?resolution.decided_by.map(|i| effective[i]),
            permission = permission.as_str(),
            "access check"
        );
        Ok(AccessDecision {
            allowed,
            permission,
            authorized_roles,
        })
    }

    /// [`App::check_access`], with a denial turned into LB3's error: 401
    /// `AUTHORIZATION_REQUIRED` for anonymous callers, else the model's (or the app's)
    /// `aclErrorStatus`.
    pub async fn authorize(&self, ctx: &AccessContext) -> Result<AccessDecision> {
        let decision = self.check_access(ctx).await?;
        if decision.allowed {
            return Ok(decision);
        }
        Err(self.denial(ctx))
    }

    fn denial(&self, ctx: &AccessContext) -> Error {
        if ctx.access_token.is_none() {
            return Error::Auth(AuthError::AuthorizationRequired);
        }
        let def = ctx.model.definition();
        let status = def
            .setting("aclErrorStatus")
            .and_then(serde_json::Value::as_u64)
            .map(|s| s as u16)
            .or_else(|| self.auth_settings().acl_error_status)
            .unwrap_or(401);
        match status {
            403 => Error::Auth(AuthError::AccessDenied),
            404 => Error::Auth(AuthError::ModelNotFound {
                id: ctx
                    .model_id
                    .as_ref()
                    .and_then(value_to_id_string)
                    .unwrap_or_default(),
            }),
            _ => Error::Auth(AuthError::AuthorizationRequired),
        }
    }

    /// The rows of the ACL model (LB3 reads them on every check; they are cached here for a
    /// short while and dropped when the ACL model changes).
    async fn dynamic_acls(&self) -> Result<Arc<Vec<AclRule>>> {
        match self.builtin_model(BuiltinKind::Acl) {
            Some(acl_model) => self.auth().acl_rows(&acl_model).await,
            None => Ok(Arc::default()),
        }
    }
}

/// Whether a row of the ACL model may apply to the method of `ctx`: it is about the model
/// (or `*`), names the method (or `*`), and is of the requested access type or `*` (WRITE
/// too for REPLICATE), as LB3 fetches rows; a row with EXECUTE is not read for READ or WRITE
/// requests.
fn dynamic_row_applies(r: &AclRule, ctx: &AccessContext, names: &[&str]) -> bool {
    (r.model == ctx.model.name() || r.model == "*")
        && r.property
            .iter()
            .any(|p| p == "*" || names.contains(&p.as_str()))
        && (r.access_type == ctx.access_type
            || r.access_type == AccessType::All
            || (ctx.access_type == AccessType::Replicate && r.access_type == AccessType::Write))
}

/// The static ACL rules of `def` (inherited ones included) naming one of `method_names`
/// or every method; only those entries are converted.
pub fn static_rules<'a>(
    def: &'a crate::model::ModelDefinition,
    method_names: &'a [&'a str],
) -> impl Iterator<Item = AclRule> + 'a {
    def.acls
        .iter()
        .filter(|e| {
            e.property.is_empty()
                || e.property
                    .iter()
                    .any(|p| p == "*" || method_names.contains(&p.as_str()))
        })
        .map(|e| AclRule::from_entry(&def.name, e))
}

/// What the static ACLs of `def` decide, after its `defaultPermission`, for a caller who is
/// in exactly the roles `roles` (e.g. `["$everyone", "$unauthenticated"]`): LB3's resolution
/// without ACL model rows, role resolution, tokens or scopes. `method_names` is the method's
/// name (without `prototype.`) then its aliases. For describing an API (`loopback routes`);
/// requests are checked by [`App::check_access`].
pub fn static_permission(
    def: &crate::model::ModelDefinition,
    method_names: &[&str],
    access_type: AccessType,
    roles: &[&str],
) -> Permission {
    let rules: Vec<AclRule> = static_rules(def, method_names)
        .filter(|r| {
            r.principal_type == PrincipalType::Role && roles.contains(&r.principal_id.as_str())
        })
        .collect();
    let req = AccessRequest {
        model: &def.name,
        property: method_names.first().copied().unwrap_or("*"),
        method_names,
        access_type,
    };
    match acl::resolve(&rules, &req).permission {
        Permission::Unspecified => default_permission(def),
        p => p,
    }
}

fn default_permission(def: &crate::model::ModelDefinition) -> Permission {
    def.setting("defaultPermission")
        .and_then(serde_json::Value::as_str)
        .and_then(Permission::parse)
        .filter(|p| *p != Permission::Unspecified)
        .unwrap_or(Permission::Allow)
}

/// Role answers within one check, so that a role named by several rules is resolved once.
#[derive(Default)]
struct RoleCache(HashMap<String, bool>);

impl RoleCache {
    async fn is_in_role(&mut self, app: &App, role: &str, ctx: &AccessContext) -> Result<bool> {
        if let Some(v) = self.0.get(role) {
            return Ok(*v);
        }
        let v = is_in_role(app, role, ctx).await?;
        self.0.insert(role.to_owned(), v);
        Ok(v)
    }
}

/// LB3's `Role.isInRole`; each answer is a debug event of target `loopback::security::role`.
pub(crate) async fn is_in_role(app: &App, role: &str, ctx: &AccessContext) -> Result<bool> {
    let (in_role, how) = resolve_role(app, role, ctx).await?;
    tracing::debug!(
        target: "loopback::security::role",
        role,
        model = ctx.model.name(),
        model_id = ?ctx.model_id,
        user_model = ?ctx.access_token.as_ref().and_then(|t| t.user_model.as_deref()),
        user_id = ?ctx.access_token.as_ref().and_then(|t| t.user_id_string()),
        in_role,
        how,
        "isInRole"
    );
    Ok(in_role)
}

/// Whether the caller of `ctx` is in `role`, and how that was found out.
async fn resolve_role(app: &App, role: &str, ctx: &AccessContext) -> Result<(bool, &'static str)> {
    let resolver = super::read(&app.auth().resolvers).get(role).cloned();
    if let Some(r) = resolver {
        return Ok((r(ctx.clone()).await?, "custom resolver"));
    }
    match role {
        EVERYONE => return Ok((true, "built-in role")),
        AUTHENTICATED => return Ok((ctx.is_authenticated(), "built-in role")),
        UNAUTHENTICATED => return Ok((!ctx.is_authenticated(), "built-in role")),
        OWNER => return Ok((is_owner(app, ctx).await?, "built-in role")),
        _ => {}
    }
    static_role(app, role, ctx)
        .await
        .map(|in_role| (in_role, "role mapping"))
}

/// Whether a RoleMapping puts one of the caller's principals in the static role `role`.
async fn static_role(app: &App, role: &str, ctx: &AccessContext) -> Result<bool> {
    let principals = ctx.principals();
    if principals.is_empty() {
        return Ok(false);
    }
    let (Some(roles), Some(mappings)) = (
        app.builtin_model(BuiltinKind::Role),
        app.builtin_model(BuiltinKind::RoleMapping),
    ) else {
        return Ok(false);
    };
    let internal = Options::new();
    let found = roles
        .find_one(
            Filter {
                where_: Some(Where::eq("name", role)),
                ..Filter::default()
            },
            &internal,
        )
        .await?;
    let Some(role_id) = found
        .as_ref()
        .and_then(|r| r.get(roles.definition().id_name()))
        .and_then(value_to_id_string)
    else {
        return Ok(false);
    };
    for p in principals {
        let w = Where::eq("roleId", role_id.clone())
            .and(Where::eq("principalType", p.principal_type.clone()))
            .and(Where::eq("principalId", p.id.clone()));
        let n = mappings.count(Some(w), &internal).await?;
        if n > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// LB3's `$owner` resolver (`Role.isOwner`), with one difference: with several user models a
/// relation only proves ownership when it targets the token's own user model.
async fn is_owner(app: &App, ctx: &AccessContext) -> Result<bool> {
    let (Some(model_id), Some(token)) = (&ctx.model_id, &ctx.access_token) else {
        return Ok(false);
    };
    let Some(user_id) = token.user_id_string() else {
        return Ok(false);
    };
    let Some(model_id_str) = value_to_id_string(model_id) else {
        return Ok(false);
    };
    let model = &ctx.model;
    // Tokens of a polymorphic token model name their user model as principal type (LB3's
    // multiple-user set-up); others say `USER`. Either way a resolved token knows its user
    // model, and a user is only ever the owner of records of its own model.
    let multi = token.principal_type != "USER";
    let is_user_model = |m: &ModelHandle| m.builtin_kind() == Some(BuiltinKind::User);
    if is_user_model(model) && token.is_of_user_model(model.name()) {
        let owner = model_id_str == user_id;
        tracing::debug!(target: "loopback::security::role", model = model.name(), %model_id_str, %user_id, owner, "$owner: the user itself");
        return Ok(owner);
    }
    let internal = Options::new();
    let Some(inst) = model.find_by_id(model_id.clone(), None, &internal).await? else {
        return Ok(false);
    };
    let def = model.definition();
    let (relations, explicit) = owner_relations(app, model);
    if def.setting("ownerRelations").is_none() && !multi {
        let legacy = ["userId", "owner"].into_iter().find_map(|k| {
            inst.get(k)
                .filter(|v| super::builtin::truthy(&v.to_json()))
                .map(|v| (k, v))
        });
        if let Some((key, owner)) = legacy {
            // A key that a relation to another user model uses holds that model's users.
            let other_model = relations
                .iter()
                .any(|(k, target)| k == key && !token.is_of_user_model(target));
            let owner =
                !other_model && value_to_id_string(owner).as_deref() == Some(user_id.as_str());
            tracing::debug!(target: "loopback::security::role", model = model.name(), %model_id_str, key, owner, "$owner: legacy owner property");
            return Ok(owner);
        }
    }
    for (key, target) in relations {
        if !token.is_of_user_model(&target) {
            continue;
        }
        let fk = inst.get(&key).and_then(value_to_id_string);
        if fk.as_deref() == Some(user_id.as_str()) {
            tracing::debug!(target: "loopback::security::role", model = model.name(), %model_id_str, key, user_model = %target, "$owner: through a relation");
            return Ok(true);
        }
        if !explicit {
            // LB3's legacy mode tries the first relation to a user model only.
            return Ok(false);
        }
    }
    Ok(false)
}

/// The belongsTo relations to user models through which `$owner` may recognise a user on
/// `model`, in definition order, as (key property, user model name); and whether the model's
/// `ownerRelations` setting chose them (each is tried) rather than LB3's legacy mode (only the
/// first one matching the token's user model is).
pub(crate) fn owner_relations(app: &App, model: &ModelHandle) -> (Vec<(String, String)>, bool) {
    let def = model.definition();
    let setting = def.setting("ownerRelations");
    let allowed: Option<Vec<&str>> = match setting {
        Some(serde_json::Value::Array(a)) => {
            Some(a.iter().filter_map(serde_json::Value::as_str).collect())
        }
        _ => None,
    };
    let mut out = Vec::new();
    for (name, rel) in &def.relations {
        if rel.kind != RelationKind::BelongsTo {
            continue;
        }
        if let Some(list) = &allowed {
            if !list.contains(&name.as_str()) {
                continue;
            }
        }
        let Ok(resolved) = model.relation(name) else {
            continue;
        };
        let Some(target) = resolved.target.as_deref().and_then(|t| app.model(t)) else {
            continue;
        };
        if target.builtin_kind() != Some(BuiltinKind::User) {
            continue;
        }
        out.push((resolved.key_from.clone(), target.name().to_owned()));
    }
    (out, setting.is_some())
}

/// The access type LB3 gives a built-in method (by its name without `prototype.`), or
/// `None` for names it does not know.
pub fn builtin_access_type(name: &str) -> Option<AccessType> {
    let name = name.strip_prefix("prototype.").unwrap_or(name);
    if let Some(rest) = name.strip_prefix("__") {
        let op = rest.split("__").next().unwrap_or_default();
        return Some(match op {
            "get" | "findById" | "count" | "exists" => AccessType::Read,
            _ => AccessType::Write,
        });
    }
    Some(match name {
        "exists" | "findById" | "find" | "findOne" | "count" | "createChangeStream" => {
            AccessType::Read
        }
        "create"
        | "patchOrCreate"
        | "upsert"
        | "updateOrCreate"
        | "replaceOrCreate"
        | "upsertWithWhere"
        | "patchOrCreateWithWhere"
        | "replaceById"
        | "destroyAll"
        | "deleteAll"
        | "remove"
        | "updateAll"
        | "update"
        | "deleteById"
        | "destroyById"
        | "removeById"
        | "patchAttributes"
        | "updateAttributes" => AccessType::Write,
        "checkpoint" => AccessType::Replicate,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_access_types() {
        assert_eq!(builtin_access_type("find"), Some(AccessType::Read));
        assert_eq!(
            builtin_access_type("prototype.patchAttributes"),
            Some(AccessType::Write)
        );
        assert_eq!(
            builtin_access_type("prototype.__get__orders"),
            Some(AccessType::Read)
        );
        assert_eq!(
            builtin_access_type("__count__orders"),
            Some(AccessType::Read)
        );
        assert_eq!(
            builtin_access_type("__exists__tags"),
            Some(AccessType::Read)
        );
        assert_eq!(builtin_access_type("__link__tags"), Some(AccessType::Write));
        assert_eq!(
            builtin_access_type("createChangeStream"),
            Some(AccessType::Read)
        );
        assert_eq!(builtin_access_type("replaceById"), Some(AccessType::Write));
        assert_eq!(builtin_access_type("greet"), None);
    }
}
