//! Batched `include`: each relation level costs one query per related model (two for
//! through relations), whatever the number of parents.

use std::collections::{HashMap, HashSet};

use futures::future::BoxFuture;

use super::ResolvedRelation;
use crate::app::ModelHandle;
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::{Condition, Fields, Filter, Include, Where};
use crate::model::RelationKind;
use crate::value::{Key, Record, Value};

/// The deepest include accepted: `{include: {a: {b: {c: {d: {e: {f: "g"}}}}}}}` is six levels;
/// one more is refused with a 400. LB3 had no limit.
pub const MAX_INCLUDE_DEPTH: usize = 6;

/// A hashable form of a key value in which `1`, `1.0` and `"1"` are equal, as juggler's loose
/// id comparison has them: two values have equal keys exactly when their texts are equal
/// (numbers and strings written as JavaScript's `String(v)` would, anything else as JSON).
/// Whole numbers, and strings that are their canonical decimal text, are kept as integers,
/// so integer keys are neither formatted nor allocated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum GroupKey {
    /// A whole number, or its canonical decimal text.
    Int(i64),
    /// Any other text.
    Text(String),
}

impl GroupKey {
    /// The key of a text: an integer when the text is one, as `i64::to_string` writes it.
    fn of_text(s: &str) -> GroupKey {
        match s.parse::<i64>() {
            // `+1`, `01` and `-0` parse but are other texts than `1`, `1` and `0`.
            Ok(i) if canonical_int(s, i) => GroupKey::Int(i),
            _ => GroupKey::Text(s.to_owned()),
        }
    }
}

/// Whether `s` is exactly how `i` is written in decimal.
fn canonical_int(s: &str, i: i64) -> bool {
    let b = s.as_bytes();
    match b {
        [] | [b'+', ..] => false,
        [b'-', b'0', ..] => false,
        [b'0', _, ..] => false,
        // What is left is `0` or a digit run without a leading zero, with an optional `-`.
        _ => {
            debug_assert_eq!(i.to_string(), s);
            true
        }
    }
}

/// The [`GroupKey`] of a key value; `None` for null.
pub(crate) fn group_key(v: &Value) -> Option<GroupKey> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(GroupKey::of_text(s)),
        Value::Int(i) => Some(GroupKey::Int(*i)),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(GroupKey::Int(*f as i64)),
        other => Some(GroupKey::of_text(&other.to_json().to_string())),
    }
}

/// A hash map keyed by [`GroupKey`]s (foldhash: integer keys hash in a few instructions).
pub(crate) type GroupMap<V> = HashMap<GroupKey, V, foldhash::fast::RandomState>;

/// The properties of a model that resolving `includes` reads: each relation's `key_from` (and
/// the discriminator of a polymorphic belongsTo).
pub(crate) fn needed_keys(model: &ModelHandle, includes: &[Include]) -> Vec<String> {
    let mut out = Vec::new();
    for inc in includes {
        if let Ok(rel) = model.relation(&inc.relation) {
            out.push(rel.key_from.clone());
            if rel.kind == RelationKind::BelongsTo {
                if let Some(p) = &rel.polymorphic {
                    out.push(p.discriminator.clone());
                }
            }
        }
    }
    out
}

/// Adds `keys` to a `fields` selection; returns the keys that were added, to strip later.
pub(crate) fn ensure_fields(fields: &mut Option<Fields>, keys: &[String]) -> Vec<String> {
    let mut added = Vec::new();
    match fields {
        None => {}
        Some(Fields::Include(list)) => {
            if list.is_empty() {
                return added;
            }
            for k in keys {
                if !list.contains(k) {
                    list.push(k.clone());
                    added.push(k.clone());
                }
            }
        }
        Some(Fields::Exclude(list)) => {
            for k in keys {
                if let Some(pos) = list.iter().position(|x| x == k) {
                    list.remove(pos);
                    added.push(k.clone());
                }
            }
        }
    }
    added.dedup();
    added
}

/// Removes properties that were only fetched for resolution.
pub(crate) fn strip(rows: &mut [Record], keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    for r in rows {
        for k in keys {
            r.remove(k.as_str());
        }
    }
}

fn inq(property: &str, values: Vec<Value>) -> Where {
    if values.len() == 1 {
        Where::Cond {
            property: property.to_owned(),
            op: Condition::Eq(values.into_iter().next().unwrap_or(Value::Null)),
        }
    } else {
        Where::Cond {
            property: property.to_owned(),
            op: Condition::Inq(values),
        }
    }
}

/// Distinct non-null key values, in first-seen order.
pub(crate) fn distinct_keys<'a>(values: impl Iterator<Item = &'a Value>) -> Vec<Value> {
    let mut seen: HashSet<GroupKey, foldhash::fast::RandomState> = HashSet::default();
    let mut out = Vec::new();
    for v in values {
        if let Some(k) = group_key(v) {
            if seen.insert(k) {
                out.push(v.clone());
            }
        }
    }
    out
}

/// Runs `filter` on `target` with `key IN values`, in chunks of the connector's `inq` limit.
/// `limit`/`skip` are not sent: they apply per parent afterwards.
async fn find_in(
    target: &ModelHandle,
    key: &str,
    values: Vec<Value>,
    filter: &Filter,
    options: &Options,
) -> Result<Vec<Record>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let chunk = target
        .data_source()
        .connector()
        .capabilities()
        .inq_limit
        .max(1);
    let base = Filter {
        limit: None,
        skip: None,
        include: Vec::new(),
        ..filter.clone()
    };
    if values.len() <= chunk {
        return target.find(base.and_where(inq(key, values)), options).await;
    }
    let mut out = Vec::new();
    for part in values.chunks(chunk) {
        let f = base.clone().and_where(inq(key, part.to_vec()));
        out.extend(target.find(f, options).await?);
    }
    Ok(out)
}

/// [`page`] on positions.
fn page_indices(idx: Vec<usize>, filter: &Filter) -> Vec<usize> {
    let skip = filter.skip.unwrap_or(0) as usize;
    let take = filter.limit.map_or(usize::MAX, |l| l as usize);
    idx.into_iter().skip(skip).take(take).collect()
}

/// [`page`] of a group that other parents share: copies only the rows kept.
fn page_ref<T: Clone>(rows: &[T], filter: &Filter) -> Vec<T> {
    let skip = filter.skip.unwrap_or(0) as usize;
    let take = filter.limit.map_or(usize::MAX, |l| l as usize);
    rows.iter().skip(skip).take(take).cloned().collect()
}

/// Applies a per-parent `skip`/`limit` to one parent's related rows.
fn page<T>(rows: Vec<T>, filter: &Filter) -> Vec<T> {
    let skip = filter.skip.unwrap_or(0) as usize;
    match filter.limit {
        Some(l) => rows.into_iter().skip(skip).take(l as usize).collect(),
        None if skip > 0 => rows.into_iter().skip(skip).collect(),
        None => rows,
    }
}

/// Refuses an include path deeper than [`MAX_INCLUDE_DEPTH`].
pub(crate) fn check_depth(path: &[String]) -> Result<()> {
    if path.len() >= MAX_INCLUDE_DEPTH {
        return Err(Error::bad_request(format!(
            "include is nested too deeply: more than {MAX_INCLUDE_DEPTH} levels ({})",
            path.join(" → ")
        )));
    }
    Ok(())
}

/// Pushes `model.relation` onto the include path, refusing a relation already on it.
pub(crate) fn enter(path: &mut Vec<String>, model: &str, relation: &str) -> Result<()> {
    let step = format!("{model}.{relation}");
    let repeated = path.contains(&step);
    path.push(step);
    if repeated {
        return Err(Error::bad_request(format!(
            "include repeats a relation on one path: {}",
            path.join(" → ")
        )));
    }
    Ok(())
}

/// Parses the include scope again against the target model: values are coerced to its types
/// and its hidden properties are refused in `where` and `order`, at any depth.
pub(crate) fn scope_for_target(
    rel: &ResolvedRelation,
    target: &ModelHandle,
    scope: Option<&Filter>,
) -> Result<Filter> {
    let user = match scope {
        None => None,
        Some(s) => Some(target.parse_filter(&s.to_json())?),
    };
    let relation_scope = rel.scope_filter(target)?.unwrap_or_default();
    Ok(user.unwrap_or_default().merged_with(relation_scope))
}

/// Resolves `includes` on `rows` of `model`, attaching each relation's data under its name.
pub(crate) fn include<'a>(
    model: &'a ModelHandle,
    rows: &'a mut [Record],
    includes: &'a [Include],
    options: &'a Options,
    path: &'a mut Vec<String>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        if rows.is_empty() || includes.is_empty() {
            return Ok(());
        }
        check_depth(path)?;
        for inc in includes {
            let rel = model.relation(&inc.relation)?;
            if rel.disable_include {
                continue;
            }
            enter(path, model.name(), &rel.name)?;
            let res = include_one(model, &rel, rows, inc.scope.as_deref(), options, path).await;
            path.pop();
            res?;
        }
        Ok(())
    })
}

async fn include_one(
    model: &ModelHandle,
    rel: &ResolvedRelation,
    rows: &mut [Record],
    scope: Option<&Filter>,
    options: &Options,
    path: &mut Vec<String>,
) -> Result<()> {
    let app = model.app()?;
    if rel.kind == RelationKind::BelongsTo && rel.polymorphic.is_some() {
        return include_polymorphic_belongs_to(model, rel, rows, scope, options, path).await;
    }
    let target = app.try_model(rel.target_name()?)?;
    let filter = scope_for_target(rel, &target, scope)?;
    match rel.kind {
        RelationKind::EmbedsOne | RelationKind::EmbedsMany => {
            include_embedded(rel, &target, rows, &filter, options, path).await
        }
        RelationKind::ReferencesMany => {
            include_references_many(rel, &target, rows, &filter, options, path).await
        }
        _ if rel.through.is_some() => {
            include_through(model, rel, &target, rows, &filter, options, path).await
        }
        _ => include_direct(rel, &target, rows, &filter, options, path).await,
    }
}

/// Fetches the related rows of one level with `key IN values` and resolves their own
/// includes, keeping the keys resolution needs and stripping the ones not asked for.
async fn fetch_level(
    target: &ModelHandle,
    key: &str,
    values: Vec<Value>,
    filter: &Filter,
    options: &Options,
    path: &mut Vec<String>,
) -> Result<(Vec<Record>, bool)> {
    let mut f = filter.clone();
    let mut keys = vec![key.to_owned()];
    keys.extend(needed_keys(target, &filter.include));
    let added = ensure_fields(&mut f.fields, &keys);
    let mut found = find_in(target, key, values, &f, options).await?;
    include(target, &mut found, &filter.include, options, path).await?;
    // The caller still reads the link key: strip only the sub-include keys here, and tell
    // whether `key` was added, so the caller strips it after linking.
    let key_added = added.iter().any(|k| k == key);
    let sub: Vec<String> = added.into_iter().filter(|k| k != key).collect();
    strip(&mut found, &sub);
    Ok((found, key_added))
}

/// belongsTo, hasOne, hasMany (no through).
async fn include_direct(
    rel: &ResolvedRelation,
    target: &ModelHandle,
    rows: &mut [Record],
    filter: &Filter,
    options: &Options,
    path: &mut Vec<String>,
) -> Result<()> {
    let keys = distinct_keys(rows.iter().filter_map(|r| r.get(rel.key_from.as_str())));
    let mut filter = filter.clone();
    if let (Some(poly), RelationKind::HasOne | RelationKind::HasMany) = (&rel.polymorphic, rel.kind)
    {
        filter = filter.and_where(Where::eq(poly.discriminator.clone(), rel.source.clone()));
    }
    let distinct = keys.len().max(1);
    let (found, key_added) = fetch_level(target, &rel.key_to, keys, &filter, options, path).await?;
    // Grouped as the values they become under each parent; each group starts with room for
    // an even share of the rows.
    let share = found.len().div_ceil(distinct);
    let mut by_key: GroupMap<Vec<Value>> =
        GroupMap::with_capacity_and_hasher(distinct, Default::default());
    for mut r in found {
        let Some(k) = r.get(rel.key_to.as_str()).and_then(group_key) else {
            continue;
        };
        if key_added {
            r.remove(rel.key_to.as_str());
        }
        by_key
            .entry(k)
            .or_insert_with(|| Vec::with_capacity(share))
            .push(Value::Object(r));
    }
    // Each group moves to the last parent that uses it; only shared groups are copied.
    let parent_keys: Vec<Option<GroupKey>> = rows
        .iter()
        .map(|r| r.get(rel.key_from.as_str()).and_then(group_key))
        .collect();
    let mut uses: HashMap<&GroupKey, usize, foldhash::fast::RandomState> = HashMap::default();
    for k in parent_keys.iter().flatten() {
        *uses.entry(k).or_default() += 1;
    }
    let name = Key::interned(&rel.name);
    for (row, key) in rows.iter_mut().zip(&parent_keys) {
        let related = match key {
            None => Vec::new(),
            Some(k) => {
                let left = uses.get_mut(k).map(|n| {
                    *n -= 1;
                    *n
                });
                if left == Some(0) {
                    page(by_key.remove(k).unwrap_or_default(), &filter)
                } else {
                    by_key
                        .get(k)
                        .map(|g| page_ref(g, &filter))
                        .unwrap_or_default()
                }
            }
        };
        attach_values(row, rel, &name, related);
    }
    Ok(())
}

/// Puts a parent's related records under `name`, the relation's name: an array for to-many
/// relations, the first record (none: nothing) for to-one relations.
fn attach(row: &mut Record, rel: &ResolvedRelation, name: &Key, related: Vec<Record>) {
    attach_values(
        row,
        rel,
        name,
        related.into_iter().map(Value::Object).collect(),
    );
}

/// [`attach`] for related records already wrapped as values. `name` is one key shared by
/// every parent, not a string copied for each.
fn attach_values(row: &mut Record, rel: &ResolvedRelation, name: &Key, related: Vec<Value>) {
    if rel.multiple {
        row.insert(name.clone(), Value::Array(related));
    } else if let Some(first) = related.into_iter().next() {
        row.insert(name.clone(), first);
    }
}

/// hasManyThrough and hasAndBelongsToMany: one query on the through model, one on the target.
async fn include_through(
    model: &ModelHandle,
    rel: &ResolvedRelation,
    target: &ModelHandle,
    rows: &mut [Record],
    filter: &Filter,
    options: &Options,
    path: &mut Vec<String>,
) -> Result<()> {
    let Some(th) = &rel.through else {
        return Ok(());
    };
    let app = model.app()?;
    let through = app.try_model(&th.model)?;
    let keys = distinct_keys(rows.iter().filter_map(|r| r.get(rel.key_from.as_str())));
    let mut link_filter = Filter {
        fields: Some(Fields::Include(vec![
            rel.key_to.clone(),
            th.key_through.clone(),
        ])),
        ..Filter::default()
    };
    if let Some(poly) = &rel.polymorphic {
        link_filter =
            link_filter.and_where(Where::eq(poly.discriminator.clone(), rel.source.clone()));
    }
    let links = find_in(&through, &rel.key_to, keys, &link_filter, options).await?;
    // parent key -> target keys, in link order
    let mut linked: GroupMap<Vec<GroupKey>> = GroupMap::default();
    let mut target_ids = Vec::new();
    let mut seen: HashSet<GroupKey, foldhash::fast::RandomState> = HashSet::default();
    for l in &links {
        let (Some(from), Some(to)) = (
            l.get(rel.key_to.as_str()).and_then(group_key),
            l.get(th.key_through.as_str()),
        ) else {
            continue;
        };
        if let Some(tk) = group_key(to) {
            linked.entry(from).or_default().push(tk.clone());
            if seen.insert(tk) {
                target_ids.push(to.clone());
            }
        }
    }
    let id = target.definition().id_name().to_owned();
    let (found, key_added) = fetch_level(target, &id, target_ids, filter, options, path).await?;
    // Target query order (the scope's order) decides the order within each parent.
    let mut position: GroupMap<usize> = GroupMap::default();
    for (i, r) in found.iter().enumerate() {
        if let Some(k) = r.get(id.as_str()).and_then(group_key) {
            position.entry(k).or_insert(i);
        }
    }
    let mut found: Vec<Option<Record>> = found
        .into_iter()
        .map(|mut r| {
            if key_added {
                r.remove(id.as_str());
            }
            Some(r)
        })
        .collect();
    // Each parent's target positions, paged; a target moves to the last parent that uses it.
    let per_row: Vec<Vec<usize>> = rows
        .iter()
        .map(|row| {
            let mut idx: Vec<usize> = row
                .get(rel.key_from.as_str())
                .and_then(group_key)
                .and_then(|k| linked.get(&k))
                .map(|tks| {
                    tks.iter()
                        .filter_map(|t| position.get(t).copied())
                        .collect()
                })
                .unwrap_or_default();
            idx.sort_unstable();
            idx.dedup();
            page_indices(idx, filter)
        })
        .collect();
    let mut uses = vec![0usize; found.len()];
    for &i in per_row.iter().flatten() {
        uses[i] += 1;
    }
    let name = Key::interned(&rel.name);
    for (row, idx) in rows.iter_mut().zip(per_row) {
        let related: Vec<Record> = idx
            .into_iter()
            .filter_map(|i| {
                uses[i] -= 1;
                if uses[i] == 0 {
                    found[i].take()
                } else {
                    found[i].clone()
                }
            })
            .collect();
        attach(row, rel, &name, related);
    }
    Ok(())
}

/// referencesMany: the ids are stored on the parent; one query on the target.
async fn include_references_many(
    rel: &ResolvedRelation,
    target: &ModelHandle,
    rows: &mut [Record],
    filter: &Filter,
    options: &Options,
    path: &mut Vec<String>,
) -> Result<()> {
    let ids = distinct_keys(
        rows.iter()
            .filter_map(|r| r.get(rel.key_from.as_str()))
            .filter_map(Value::as_array)
            .flatten(),
    );
    let (found, key_added) = fetch_level(target, &rel.key_to, ids, filter, options, path).await?;
    let mut by_key: GroupMap<Record> = GroupMap::default();
    let mut order: GroupMap<usize> = GroupMap::default();
    for (i, mut r) in found.into_iter().enumerate() {
        if let Some(k) = r.get(rel.key_to.as_str()).and_then(group_key) {
            if key_added {
                r.remove(rel.key_to.as_str());
            }
            order.insert(k.clone(), i);
            by_key.insert(k, r);
        }
    }
    let explicit_order = !filter.order.is_empty();
    for row in rows.iter_mut() {
        let mut keys: Vec<GroupKey> = row
            .get(rel.key_from.as_str())
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(group_key).collect())
            .unwrap_or_default();
        if explicit_order {
            keys.sort_by_key(|k| order.get(k).copied().unwrap_or(usize::MAX));
        }
        let related: Vec<Record> = keys.iter().filter_map(|k| by_key.get(k).cloned()).collect();
        let related = page(related, filter);
        row.insert(
            rel.name.clone(),
            Value::Array(related.into_iter().map(Value::Object).collect()),
        );
    }
    Ok(())
}

/// embedsOne/embedsMany: no query for the embedded data itself; nested includes of the
/// embedded items are resolved in one batch over every parent.
async fn include_embedded(
    rel: &ResolvedRelation,
    target: &ModelHandle,
    rows: &mut [Record],
    filter: &Filter,
    options: &Options,
    path: &mut Vec<String>,
) -> Result<()> {
    let mut items: Vec<Record> = Vec::new();
    let mut counts = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        let before = items.len();
        match row.get(rel.key_from.as_str()) {
            Some(Value::Object(o)) if !rel.multiple => items.push(o.clone()),
            Some(Value::Array(a)) if rel.multiple => {
                items.extend(a.iter().filter_map(|v| v.as_object().cloned()))
            }
            _ => {}
        }
        counts.push(items.len() - before);
    }
    let matcher = filter.where_.as_ref().map(Where::compile).transpose()?;
    include(target, &mut items, &filter.include, options, path).await?;
    let mut it = items.into_iter();
    let name = Key::interned(&rel.name);
    for (row, n) in rows.iter_mut().zip(counts) {
        let mine: Vec<Record> = it
            .by_ref()
            .take(n)
            .filter(|r| matcher.as_ref().map_or(true, |m| m.matches(r)))
            .collect();
        let mine = if rel.multiple {
            page(mine, filter)
        } else {
            mine
        };
        attach(row, rel, &name, mine);
    }
    Ok(())
}

/// Polymorphic belongsTo: one query per distinct target model named by the discriminators.
async fn include_polymorphic_belongs_to(
    model: &ModelHandle,
    rel: &ResolvedRelation,
    rows: &mut [Record],
    scope: Option<&Filter>,
    options: &Options,
    path: &mut Vec<String>,
) -> Result<()> {
    let Some(poly) = &rel.polymorphic else {
        return Ok(());
    };
    let app = model.app()?;
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if let Some(Value::String(t)) = row.get(poly.discriminator.as_str()) {
            match groups.iter_mut().find(|(n, _)| n == t) {
                Some((_, v)) => v.push(i),
                None => groups.push((t.clone(), vec![i])),
            }
        }
    }
    for (type_name, idx) in groups {
        let target = app.model(&type_name).ok_or_else(|| {
            Error::bad_request(format!(
                "{} `{type_name}` of relation `{}` is not a model",
                poly.discriminator, rel.name
            ))
        })?;
        let filter = scope_for_target(rel, &target, scope)?;
        let key_to = rel.key_to.clone();
        let keys = distinct_keys(
            idx.iter()
                .filter_map(|&i| rows[i].get(rel.key_from.as_str())),
        );
        let (found, key_added) =
            fetch_level(&target, &key_to, keys, &filter, options, path).await?;
        let mut by_key: GroupMap<Record> = GroupMap::default();
        for mut r in found {
            if let Some(k) = r.get(key_to.as_str()).and_then(group_key) {
                if key_added {
                    r.remove(key_to.as_str());
                }
                by_key.entry(k).or_insert(r);
            }
        }
        for i in idx {
            let hit = rows[i]
                .get(rel.key_from.as_str())
                .and_then(group_key)
                .and_then(|k| by_key.get(&k))
                .cloned();
            if let Some(r) = hit {
                rows[i].insert(rel.name.clone(), Value::Object(r));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text LB3 compares keys by: `String(v)` for numbers and strings, else JSON.
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Some((*f as i64).to_string())
            }
            other => Some(other.to_json().to_string()),
        }
    }

    #[test]
    fn group_keys_are_equal_exactly_when_their_texts_are() {
        let values = [
            Value::Null,
            Value::Int(0),
            Value::Int(1),
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(1.0),
            Value::Float(-0.0),
            Value::Float(1.5),
            Value::Float(9.000_000_000_000_001e15),
            Value::Float(1e16),
            Value::from("0"),
            Value::from("1"),
            Value::from("-1"),
            Value::from("01"),
            Value::from("+1"),
            Value::from("-0"),
            Value::from("00"),
            Value::from("1.5"),
            Value::from("9000000000000001"),
            Value::from("9223372036854775808"),
            Value::from("-9223372036854775808"),
            Value::from(""),
            Value::from("abc"),
            Value::from("true"),
            Value::Bool(true),
        ];
        for a in &values {
            for b in &values {
                assert_eq!(
                    group_key(a) == group_key(b),
                    text(a) == text(b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
}
