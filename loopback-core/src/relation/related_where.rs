//! Conditions on related models ([`Where::Related`]): resolving the relation into what a
//! connector runs.
//!
//! Each condition becomes a [`Join`] from a key of the filtered model to a key of the related
//! model, with the related model's default scope, the relation's scope and any polymorphic
//! discriminator added to its condition. A through relation becomes a condition on the through
//! model that holds a condition on the target; `every` becomes `none` of the negated condition,
//! so connectors only ever see `some` and `none`. When the related model lives in the same data
//! source and its connector can join ([`Capabilities::related_where`]) the resolved condition
//! goes to the connector as it is (SQL subqueries); otherwise the related keys are read first
//! and the condition becomes an `inq` (`some`) or `nin` (`none`) on the filtered model's key.
//!
//! [`Capabilities::related_where`]: crate::connector::Capabilities::related_where

use std::sync::Arc;

use futures::future::BoxFuture;

use super::include::distinct_keys;
use crate::app::{coerce_where, ModelHandle};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::{
    unfilterable, Condition, Fields, Filter, Join, Quantifier, RelatedWhere, Where,
};

/// Resolves every condition on related models in `w`, a condition on `model`. A tree without
/// one is returned as it is, and a resolved one is left alone, so this can run more than once.
pub(crate) async fn resolve_related(
    model: &ModelHandle,
    w: Where,
    options: &Options,
) -> Result<Where> {
    if !w.has_related() {
        return Ok(w);
    }
    resolve(model, w, options, 0).await
}

/// More nested relations than a where tree could reasonably hold: a guard against a scope
/// that refers back to its own model forever.
const MAX_RELATED_DEPTH: usize = 16;

fn resolve<'a>(
    model: &'a ModelHandle,
    w: Where,
    options: &'a Options,
    depth: usize,
) -> BoxFuture<'a, Result<Where>> {
    Box::pin(async move {
        Ok(match w {
            Where::And(v) => Where::And(resolve_all(model, v, options, depth).await?),
            Where::Or(v) => Where::Or(resolve_all(model, v, options, depth).await?),
            Where::Nor(v) => Where::Nor(resolve_all(model, v, options, depth).await?),
            c @ Where::Cond { .. } => c,
            Where::Related(r) if r.join.is_some() => Where::Related(r),
            Where::Related(r) => resolve_one(model, *r, options, depth).await?,
        })
    })
}

async fn resolve_all(
    model: &ModelHandle,
    v: Vec<Where>,
    options: &Options,
    depth: usize,
) -> Result<Vec<Where>> {
    let mut out = Vec::with_capacity(v.len());
    for w in v {
        out.push(if w.has_related() {
            resolve(model, w, options, depth).await?
        } else {
            w
        });
    }
    Ok(out)
}

async fn resolve_one(
    model: &ModelHandle,
    r: RelatedWhere,
    options: &Options,
    depth: usize,
) -> Result<Where> {
    if depth >= MAX_RELATED_DEPTH {
        return Err(Error::bad_request(format!(
            "Conditions on related models are nested more than {MAX_RELATED_DEPTH} levels deep"
        )));
    }
    let rel = model.relation(&r.relation)?;
    if let Some(why) = unfilterable(rel.kind, rel.target.is_some()) {
        return Err(Error::bad_request(format!(
            "Relation \"{}\" of {} cannot be filtered on: {why}",
            rel.name, rel.source
        )));
    }
    let app = model.app()?;
    let target = app.try_model(rel.target_name()?)?;
    let tdef = target.definition();

    // The condition as the related model reads it, limited as every read of it is.
    let mut cond = coerce_where(&tdef, r.where_);
    if let Some(w) = rel.scope_filter(&target)?.and_then(|f| f.where_) {
        cond = cond.and(w);
    }
    if let Some(w) = target.default_scope_where()? {
        cond = cond.and(w);
    }
    let discriminator = rel
        .polymorphic
        .as_ref()
        .map(|p| Where::eq(p.discriminator.clone(), rel.source.clone()));
    if rel.through.is_none() {
        if let Some(d) = &discriminator {
            cond = cond.and(d.clone());
        }
    }
    let cond = resolve(&target, cond, options, depth + 1).await?;
    let (quantifier, cond) = match r.quantifier {
        Quantifier::Every => (Quantifier::None, Where::Nor(vec![cond])),
        q => (q, cond),
    };
    let Some(th) = &rel.through else {
        let link = Link {
            relation: &rel.name,
            key_from: &rel.key_from,
            key_to: &rel.key_to,
        };
        return link
            .resolve(model, &target, quantifier, cond, options)
            .await;
    };
    // source.key_from = through.key_to, for through rows whose key_through is a matching
    // target's id.
    let through = app.try_model(&th.model)?;
    let to_target = Link {
        relation: &rel.name,
        key_from: &th.key_through,
        key_to: tdef.id_name(),
    };
    let mut link_cond = to_target
        .resolve(&through, &target, Quantifier::Some, cond, options)
        .await?;
    if let Some(d) = discriminator {
        link_cond = link_cond.and(d);
    }
    if let Some(w) = through.default_scope_where()? {
        link_cond = link_cond.and(w);
    }
    let to_through = Link {
        relation: &rel.name,
        key_from: &rel.key_from,
        key_to: &rel.key_to,
    };
    to_through
        .resolve(model, &through, quantifier, link_cond, options)
        .await
}

/// One hop: rows of the filtered model whose `key_from` is (or is not) the `key_to` of a row
/// of the related model that satisfies a condition.
struct Link<'a> {
    relation: &'a str,
    key_from: &'a str,
    key_to: &'a str,
}

impl Link<'_> {
    async fn resolve(
        &self,
        from: &ModelHandle,
        to: &ModelHandle,
        quantifier: Quantifier,
        cond: Where,
        options: &Options,
    ) -> Result<Where> {
        let same_source = std::ptr::eq(
            Arc::as_ptr(from.data_source().connector()).cast::<()>(),
            Arc::as_ptr(to.data_source().connector()).cast::<()>(),
        );
        if same_source && from.connector().capabilities().related_where {
            return Ok(Where::Related(Box::new(RelatedWhere {
                relation: self.relation.to_owned(),
                quantifier,
                where_: cond,
                join: Some(Join {
                    key_from: self.key_from.to_owned(),
                    target: to.definition(),
                    key_to: self.key_to.to_owned(),
                }),
            })));
        }
        // Read the related keys, then filter on them. A transaction belongs to one data
        // source: the related model's own is not the caller's.
        let cross_source;
        let read_options = if same_source {
            options
        } else {
            cross_source = Options {
                transaction: None,
                ..options.clone()
            };
            &cross_source
        };
        let filter = Filter {
            where_: Some(cond),
            fields: Some(Fields::Include(vec![self.key_to.to_owned()])),
            ..Filter::default()
        };
        let rows = to
            .connector()
            .find(&to.definition(), &filter, read_options)
            .await?;
        let keys = distinct_keys(rows.iter().filter_map(|r| r.get(self.key_to)));
        // `nin` matches a null key too: a row without a related row has none that matches.
        let op = match quantifier {
            Quantifier::Some => Condition::Inq(keys),
            Quantifier::None | Quantifier::Every => Condition::Nin(keys),
        };
        Ok(Where::cond(self.key_from, op))
    }
}
