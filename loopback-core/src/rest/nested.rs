//! LB3's `nestRemoting` over REST: the relation routes of a related model served again below
//! the relation of its source (`GET /authors/:id/books/:nk/reviews`,
//! `GET /images/:id/book/reviews`).
//!
//! A nested call loads the source instance (404 `could not find a model with id X`), then the
//! related instance as LB3's getter does: `__findById__<rel>` for to-many relations (404
//! `No instance with id <nk> found for <Target>`, also for an instance of another source),
//! `__get__<rel>` for to-one relations, which may find none; then it runs the target's
//! relation method on that instance. Without a related instance LB3 answers `null` (`{"count":
//! null}` for counts, 204 for deletes; the 404 of `__findById__` and hasOne `__get__`).
//!
//! Access control: LB3 checks the source model's ACLs for the nested method
//! (`__get__books__reviews`, with the access type of the target's method). On top of that the
//! call must pass the related model's ACLs for the method it runs there (`__get__reviews` of
//! `Book`, the related instance as the model id): a nested route never grants more than the
//! related model's own route (`/books/:nk/reviews`) would.

use std::sync::Arc;

use http::request::Parts;
use serde_json::{json, Map, Value as Json};

use super::auth;
use super::handlers::{self, Call};
use super::input;
use super::relations;
use super::remote_call;
use super::routes::{self, ModelRoutes, NestedMatch, NestedRel, Op, RelRoute};
use crate::app::{App, ModelHandle};
use crate::auth::AccessToken;
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::remote::{RemoteContext, RemoteHook, RemoteHookKind};
use crate::value::Value;

/// A nested method being answered.
struct Nested<'a> {
    app: &'a App,
    model: &'a ModelRoutes,
    nest: &'a NestedRel,
    /// The target's relation whose method runs.
    rel: &'a RelRoute,
    op: Op,
    token: Option<&'a Arc<AccessToken>>,
}

/// The path arguments and the query of a nested call, as hooks may have changed them.
struct Args<'a> {
    id: &'a str,
    nk: Option<&'a str>,
    fk: Option<&'a str>,
    query: &'a str,
    /// The arguments hooks left (read instead of the query string when set).
    args: Option<&'a Map<String, Json>>,
    body: Option<Json>,
}

/// Answers the nested method `op` that `m` matched; `None` is a 204 without content.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn respond(
    app: &App,
    model: &ModelRoutes,
    op: Op,
    m: NestedMatch<'_>,
    parts: &Parts,
    body: Option<Json>,
    options: Options,
    token: Option<&Arc<AccessToken>>,
) -> Result<Option<Json>> {
    let Some(nest) = model.nested.get(m.nest) else {
        return Err(Error::Internal("a nested route without nesting".into()));
    };
    let Some(rel) = nest.relations.get(m.rel) else {
        return Err(Error::Internal("a nested route without relation".into()));
    };
    let n = Nested {
        app,
        model,
        nest,
        rel,
        op,
        token,
    };
    let name = routes::nested_method_name(op, nest, rel);
    let mut body = body;
    if app.is_auth_enabled() {
        // LB3: the source model's ACLs for the nested method.
        let (names, access) = routes::builtin_access(&name);
        auth::authorize(
            app,
            &model.handle,
            &names[0],
            &names[1..],
            access,
            &[],
            Some(Value::String(m.id.to_owned())),
            token,
        )
        .await?;
        if let Some(t) = final_target(&n) {
            body = auth::sanitize_user_body(&t, op, body);
        }
    }
    let query = parts.uri.query().unwrap_or_default();
    let method_string = format!("{}.{name}", model.handle.name());
    let inherited = format!(
        "{}.{}",
        nest.target.name(),
        routes::builtin_method_name(op, Some(rel))
    );
    let remotes = app.remotes();
    let own_hooks = remotes.any_hook_for(&method_string);
    let before = inherited_hooks(&n, RemoteHookKind::Before, &inherited);
    let after = inherited_hooks(&n, RemoteHookKind::After, &inherited);
    if !own_hooks && before.is_empty() && after.is_empty() {
        let args = Args {
            id: m.id,
            nk: m.nk,
            fk: m.fk,
            query,
            args: None,
            body,
        };
        return run(&n, args, options).await;
    }

    // With remote hooks: the arguments by LB3's names (`id`, `nk`, `fk`, `filter`, `where`,
    // `data`) go through the nested method's `beforeRemote` hooks, then the inherited ones
    // of the target's method; the result through the `afterRemote` hooks in the same order.
    let mut args = remote_call::builtin_args(op, Some(m.id), m.fk, query, body)?;
    if let Some(nk) = m.nk {
        let text = input::decode_path_param(nk)?;
        args.insert(
            nest.param.clone(),
            remote_call::any_from_text(&text).unwrap_or(Json::Null),
        );
    }
    let method = Arc::new(remote_call::builtin_descriptor(&model.handle, &name));
    let blank = |args: Map<String, Json>| {
        RemoteContext::new(
            model.handle.name(),
            method_string.clone(),
            method.clone(),
            args,
            options.clone(),
        )
    };
    let mut ctx = blank(args);
    ctx.request = Some(Arc::new(remote_call::remote_request(parts, Map::new())));
    let ctx = match run_hooks(
        remotes.hooks_for(RemoteHookKind::Before, &method_string),
        ctx,
    )
    .await
    {
        Ok(c) => run_hooks(before, c).await,
        Err(e) => Err(e),
    };
    let mut ctx = match ctx {
        Ok(c) => c,
        Err(e) => return Err(remotes.run_error(blank(Map::new()), e).await),
    };
    let text = |v: Option<&Json>| v.map(remote_call::json_text);
    let id = text(ctx.args.get("id")).unwrap_or_default();
    let nk = text(ctx.args.get(nest.param.as_str()));
    let fk = text(ctx.args.get("fk"));
    let out = {
        let args = Args {
            id: &id,
            nk: nk.as_deref(),
            fk: fk.as_deref(),
            query: "",
            args: Some(&ctx.args),
            body: ctx.args.get("data").cloned().filter(|d| !d.is_null()),
        };
        run(&n, args, ctx.options.clone()).await
    };
    match out {
        Ok(result) => {
            ctx.result = result;
            let ctx = match run_hooks(
                remotes.hooks_for(RemoteHookKind::After, &method_string),
                ctx,
            )
            .await
            {
                Ok(c) => run_hooks(after, c).await,
                Err(e) => Err(e),
            };
            match ctx {
                Ok(c) => Ok(c.result),
                Err(e) => Err(remotes.run_error(blank(Map::new()), e).await),
            }
        }
        Err(e) => Err(remotes.run_error(ctx, e).await),
    }
}

/// The hooks of `kind` registered for exactly the target's method `inherited`, when the
/// nesting inherits them (LB3 copies only those, not wildcard ones).
fn inherited_hooks(n: &Nested<'_>, kind: RemoteHookKind, inherited: &str) -> Vec<RemoteHook> {
    if !n.nest.hooks {
        return Vec::new();
    }
    n.app.remotes().exact_hooks(kind, inherited)
}

async fn run_hooks(hooks: Vec<RemoteHook>, mut ctx: RemoteContext) -> Result<RemoteContext> {
    for hook in hooks {
        ctx = hook(ctx).await?;
    }
    Ok(ctx)
}

/// The model the target's relation reaches (`Review` for `books` → `reviews`).
fn final_target(n: &Nested<'_>) -> Option<ModelHandle> {
    let rel = n.nest.target.relation(&n.rel.name).ok()?;
    n.app.model(rel.target.as_deref()?)
}

/// Loads the source and the related instance, checks the related model's ACLs and runs the
/// target's relation method.
async fn run(n: &Nested<'_>, a: Args<'_>, options: Options) -> Result<Option<Json>> {
    let source = &n.model.handle;
    let inner = routes::builtin_method_name(n.op, Some(n.rel));
    if n.nest.multiple && n.app.is_auth_enabled() {
        // Before anything is read: the related id is known.
        let nk = a.nk.map(|nk| Value::String(nk.to_owned()));
        authorize_related(n, &inner, nk).await?;
    }
    let owner = handlers::load_instance(source, a.id, &options).await?;
    let related = if n.nest.multiple {
        let via = n.model.relations.iter().find(|r| r.name == n.nest.name);
        let call = Call {
            app: n.app,
            model: source,
            def: source.definition(),
            query: "",
            id: Some(a.id),
            rel: via,
            fk: Some(a.nk.unwrap_or_default()),
            body: None,
            options: options.clone(),
            args: None,
        };
        Some(relations::related_by_fk(&call, &owner).await?.1)
    } else {
        let found = source.related(&owner, &n.nest.name)?.get(&options).await?;
        if n.app.is_auth_enabled() {
            let tdef = n.nest.target.definition();
            let id = found.as_ref().and_then(|r| r.get(tdef.id_name())).cloned();
            authorize_related(n, &inner, id).await?;
        }
        found
    };
    let Some(instance) = related else {
        return without_instance(n, a.fk);
    };
    let tdef = n.nest.target.definition();
    let shown = instance
        .get(tdef.id_name())
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => remote_call::json_text(&other.to_json()),
        })
        .unwrap_or_default();
    let raw_id = percent_encoding::utf8_percent_encode(&shown, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    if n.app.is_auth_enabled() {
        super::owner_keys::check(
            n.app,
            &n.nest.target,
            n.op,
            Some(n.rel),
            Some(&raw_id),
            a.fk,
            a.body.as_ref(),
            n.token,
        )
        .await?;
    }
    let call = Call {
        app: n.app,
        model: &n.nest.target,
        def: tdef,
        query: a.query,
        id: Some(&raw_id),
        rel: Some(n.rel),
        fk: a.fk,
        body: a.body,
        options,
        args: a.args,
    };
    Ok(relations::dispatch_on(n.op, call, &instance)
        .await?
        .map(|reply| reply.into_json(n.app)))
}

/// The related model's ACLs for the method the nested one runs on it (`__get__reviews`).
async fn authorize_related(n: &Nested<'_>, inner: &str, id: Option<Value>) -> Result<()> {
    let (names, access) = routes::builtin_access(inner);
    auth::authorize(
        n.app,
        &n.nest.target,
        &names[0],
        &names[1..],
        access,
        &[],
        id,
        n.token,
    )
    .await
}

/// LB3's answer when a to-one relation has no related instance: the nested function calls
/// back with `null`, which the method's own `after` step turns into a 404 for `__findById__`
/// and hasOne `__get__`.
fn without_instance(n: &Nested<'_>, fk: Option<&str>) -> Result<Option<Json>> {
    match n.op {
        Op::RelFindById => {
            let rel = n.nest.target.relation(&n.rel.name)?;
            let target = n.app.try_model(rel.target_name()?)?;
            let fk = input::id_arg(&target, fk.unwrap_or_default())?;
            Err(Error::NotFound {
                model: target.name().to_owned(),
                id: fk.shown,
            })
        }
        Op::RelGetOne => {
            let rel = n.nest.target.relation(&n.rel.name)?;
            Err(relations::no_instance(&rel))
        }
        Op::RelCount => Ok(Some(json!({ "count": null }))),
        Op::RelDestroy | Op::RelDeleteAll | Op::RelDestroyById | Op::RelUnlink => Ok(None),
        _ => Ok(Some(Json::Null)),
    }
}
