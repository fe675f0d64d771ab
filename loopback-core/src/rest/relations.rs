//! The relation routes under `/:id/<rel>` (LB3's `belongsToRemoting`, `hasOneRemoting`,
//! `hasManyRemoting` and `scopeRemoting`): load the owner as LB3's shared constructor does,
//! then call the relation through [`Related`](crate::relation::Related), reading `filter`/`where` against the target.

use std::sync::Arc;

use serde_json::{json, Value as Json};

use super::errors;
use super::handlers::{self, Call};
use super::input::{self, CreateData, IdArg};
use super::output::{Publisher, Reply};
use super::routes::Op;
use crate::app::ModelHandle;
use crate::error::{Error, Result};
use crate::model::ModelDefinition;
use crate::relation::ResolvedRelation;
use crate::value::{Record, Value};

/// Runs the relation method `op`; `None` is a 204 without content.
pub(crate) async fn dispatch(op: Op, c: Call<'_>) -> Result<Option<Reply>> {
    let owner = handlers::load_instance(c.model, c.id.unwrap_or_default(), &c.options).await?;
    dispatch_on(op, c, &owner).await
}

/// Runs the relation method `op` of the instance `owner` of `c.model` (whose id `c.id`
/// shows); `None` is a 204 without content.
pub(crate) async fn dispatch_on(op: Op, c: Call<'_>, owner: &Record) -> Result<Option<Reply>> {
    if op == Op::RelFind {
        return find(c, owner).await.map(Some);
    }
    Ok(json_method(op, c, owner).await?.map(Reply::Json))
}

/// `GET /:id/<rel>?filter=…`: the related instances.
async fn find(c: Call<'_>, owner: &Record) -> Result<Reply> {
    let Some(rel) = c.rel else {
        // The table routes relation methods only with their relation.
        return Err(c.not_found(""));
    };
    let related = c.model.related(owner, &rel.name)?;
    let target = target_def(&c, related.relation(), owner)?;
    let target_model = c.app.model(&target.name).unwrap_or_else(|| c.model.clone());
    let filter = c
        .checked_filter_for(&target_model, &target)
        .await?
        .unwrap_or_default();
    let rows = related.find(filter, &c.options).await?;
    Ok(Reply::Records(target, rows))
}

/// The relation methods other than `find`, answered as JSON.
async fn json_method(op: Op, mut c: Call<'_>, owner: &Record) -> Result<Option<Json>> {
    let Some(rel) = c.rel else {
        // The table routes relation methods only with their relation.
        return Err(c.not_found(""));
    };
    let owner = owner.clone();
    let mut related = c.model.related(&owner, &rel.name)?;
    let options = c.options.clone();
    let opts = &options;
    match op {
        Op::RelGetOne => match related.get(opts).await? {
            Some(r) => Ok(Some(publish(&c, related.relation(), &owner, &r)?)),
            None => Err(no_instance(related.relation())),
        },
        Op::RelGetBelongsTo => {
            // `refresh` only bypasses LB3's relation cache; the target is always read.
            match related.get(opts).await? {
                Some(r) => Ok(Some(publish(&c, related.relation(), &owner, &r)?)),
                // strong-remoting answers a `null` root result with an empty object.
                None => Ok(Some(json!({}))),
            }
        }
        Op::RelCreate => {
            let target = target_def(&c, related.relation(), &owner)?;
            match input::create_data(c.body.take())? {
                CreateData::One(data) => {
                    let created = related.create(data, opts).await?;
                    Ok(Some(Publisher::new(c.app).record(&target, &created, false)))
                }
                CreateData::Many(data) => {
                    let created = related.create_many(data, opts).await?;
                    Ok(Some(Publisher::new(c.app).records(&target, &created)))
                }
            }
        }
        Op::RelUpdate => {
            let data = c.data()?;
            let rel = related.relation().clone();
            let updated = related.update(data, opts).await.map_err(|e| match e {
                Error::NotFound { .. } => no_instance(&rel),
                e => e,
            })?;
            Ok(Some(publish(&c, &rel, &owner, &updated)?))
        }
        Op::RelDestroy => {
            related.destroy(opts).await?;
            Ok(None)
        }
        Op::RelDeleteAll => {
            related.destroy_all(None, opts).await?;
            Ok(None)
        }
        Op::RelCount => {
            let target = target_def(&c, related.relation(), &owner)?;
            let where_ = c.where_for(&target)?;
            let count = related.count(where_, opts).await?;
            Ok(Some(json!({ "count": count })))
        }
        Op::RelFindById => {
            let (target, fk) = fk_arg(&c, related.relation())?;
            let msg = fk_message(&c, related.relation(), &target, &fk, false)?;
            let fk_value = fk.value.clone().ok_or_else(|| fk_not_found(&msg))?;
            let found = related
                .find_by_id(fk_value, opts)
                .await
                .map_err(|e| reword_fk(e, &msg))?;
            Ok(Some(Publisher::new(c.app).record(
                &target.definition(),
                &found,
                false,
            )))
        }
        Op::RelUpdateById => {
            let (target, fk) = fk_arg(&c, related.relation())?;
            let msg = fk_message(&c, related.relation(), &target, &fk, false)?;
            let data = c.data()?;
            let fk_value = fk.value.clone().ok_or_else(|| fk_not_found(&msg))?;
            let updated = related
                .update_by_id(fk_value, data, opts)
                .await
                .map_err(|e| reword_fk(e, &msg))?;
            Ok(Some(Publisher::new(c.app).record(
                &target.definition(),
                &updated,
                false,
            )))
        }
        Op::RelDestroyById => {
            let (target, fk) = fk_arg(&c, related.relation())?;
            let msg = fk_message(&c, related.relation(), &target, &fk, true)?;
            let fk_value = fk.value.clone().ok_or_else(|| fk_not_found(&msg))?;
            related
                .destroy_by_id(fk_value, opts)
                .await
                .map_err(|e| reword_fk(e, &msg))?;
            Ok(None)
        }
        Op::RelLink => {
            let (target, fk) = fk_arg(&c, related.relation())?;
            let msg = not_found_message(&target, &fk);
            let data = c.data()?;
            let fk_value = fk.value.clone().ok_or_else(|| fk_not_found(&msg))?;
            let shown_def = match &related.relation().through {
                Some(th) => c.app.try_model(&th.model)?.definition(),
                None => target.definition(),
            };
            let linked = related
                .link(fk_value, data, opts)
                .await
                .map_err(|e| reword_fk(e, &msg))?;
            Ok(Some(
                Publisher::new(c.app).record(&shown_def, &linked, false),
            ))
        }
        Op::RelUnlink => {
            let (target, fk) = fk_arg(&c, related.relation())?;
            let msg = not_found_message(&target, &fk);
            if let Some(v) = fk.value.clone() {
                related
                    .unlink(v, opts)
                    .await
                    .map_err(|e| reword_fk(e, &msg))?;
            }
            Ok(None)
        }
        Op::RelExists => {
            let (_, fk) = fk_arg(&c, related.relation())?;
            let found = match fk.value.clone() {
                Some(v) => related.exists(v, opts).await?,
                None => false,
            };
            if found {
                Ok(Some(json!(true)))
            } else {
                // LB3 names the owner's model and id.
                Err(c.not_found(&c.id()?.shown))
            }
        }
        _ => Err(c.not_found("")),
    }
}

/// The instance of the to-many relation `c.rel` of `owner` whose id is the raw `c.fk`
/// segment (LB3's `__findById__<rel>`), with its model; another owner's instance, an
/// unknown id and text that cannot be an id are LB3's 404 of that method.
pub(crate) async fn related_by_fk(c: &Call<'_>, owner: &Record) -> Result<(ModelHandle, Record)> {
    let Some(rel) = c.rel else {
        return Err(c.not_found(""));
    };
    let related = c.model.related(owner, &rel.name)?;
    let (target, fk) = fk_arg(c, related.relation())?;
    let msg = fk_message(c, related.relation(), &target, &fk, false)?;
    let fk_value = fk.value.clone().ok_or_else(|| fk_not_found(&msg))?;
    let found = related
        .find_by_id(fk_value, &c.options)
        .await
        .map_err(|e| reword_fk(e, &msg))?;
    Ok((target, found))
}

/// The definition of the related model of `owner`: the target, or for a polymorphic
/// belongsTo the model its discriminator names.
fn target_def(
    c: &Call<'_>,
    rel: &ResolvedRelation,
    owner: &Record,
) -> Result<Arc<ModelDefinition>> {
    let name = match (&rel.target, &rel.polymorphic) {
        (Some(t), _) => t.as_str(),
        (None, Some(p)) => owner
            .get(p.discriminator.as_str())
            .and_then(Value::as_str)
            .unwrap_or_default(),
        (None, None) => rel.target_name()?,
    };
    Ok(c.app.try_model(name)?.definition())
}

fn publish(c: &Call<'_>, rel: &ResolvedRelation, owner: &Record, r: &Record) -> Result<Json> {
    let def = target_def(c, rel, owner)?;
    Ok(Publisher::new(c.app).record(&def, r, false))
}

/// The target model and the `fk` path argument read as its id.
fn fk_arg(c: &Call<'_>, rel: &ResolvedRelation) -> Result<(ModelHandle, IdArg)> {
    let target = c.app.try_model(rel.target_name()?)?;
    // The table only routes `/:fk` paths to methods that read the fk.
    let fk = input::id_arg(&target, c.fk.unwrap_or_default())?;
    Ok((target, fk))
}

/// LB3's message for an fk that is not one of the owner's related instances: through
/// relations name the through model and both ids (`destroy` has its own wording).
fn fk_message(
    c: &Call<'_>,
    rel: &ResolvedRelation,
    target: &ModelHandle,
    fk: &IdArg,
    destroy: bool,
) -> Result<String> {
    let Some(th) = &rel.through else {
        return Ok(not_found_message(target, fk));
    };
    let (what, sep) = if destroy {
        ("record", " ,")
    } else {
        ("relation", ",")
    };
    Ok(format!(
        "No {what} found in {} for ({}.{}{sep}{}.{})",
        th.model,
        c.model.name(),
        c.id()?.shown,
        target.name(),
        fk.shown
    ))
}

/// `No instance with id <fk> found for <Target>`.
fn not_found_message(target: &ModelHandle, fk: &IdArg) -> String {
    format!(
        "No instance with id {} found for {}",
        fk.shown,
        target.name()
    )
}

/// A 404 without `code` saying `message`.
fn fk_not_found(message: &str) -> Error {
    reword_fk(
        Error::NotFound {
            model: String::new(),
            id: String::new(),
        },
        message,
    )
}

/// An [`Error::NotFound`] of the relation layer reworded as `message`.
fn reword_fk(err: Error, message: &str) -> Error {
    errors::reword_not_found(err, |_| message.to_owned(), false)
}

/// LB3's 404 for a to-one relation without an instance.
pub(super) fn no_instance(rel: &ResolvedRelation) -> Error {
    let model = rel.target.clone().unwrap_or_default();
    errors::reword_not_found(
        Error::NotFound {
            model: model.clone(),
            id: String::new(),
        },
        |_| format!("No \"{model}\" instance(s) found"),
        true,
    )
}
