//! Relation methods on one instance: LB3's `order.customer(...)`, `customer.orders.create(...)`,
//! `physician.patients.add(...)`, as a [`Related`] handle.

use std::sync::Arc;

use super::include::{group_key, GroupKey};
use super::ResolvedRelation;
use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::{Filter, Where};
use crate::model::RelationKind;
use crate::value::{Record, Value};

/// One relation of one instance (LB3's relation accessor, `customer.orders`). Built by
/// [`ModelHandle::related`]; every method runs through the target model's operations, so
/// hooks, validation and default scopes apply.
#[derive(Debug, Clone)]
pub struct Related {
    app: App,
    source: ModelHandle,
    rel: Arc<ResolvedRelation>,
    instance: Record,
}

impl ModelHandle {
    /// The relation `relation` of `instance` (an instance of this model, as loaded).
    pub fn related(&self, instance: &Record, relation: &str) -> Result<Related> {
        let rel = self.relation(relation)?;
        Ok(Related {
            app: self.app()?,
            source: self.clone(),
            rel,
            instance: instance.clone(),
        })
    }
}

fn fk_override(key: &str) -> Error {
    Error::bad_request(format!("Cannot override foreign key {key}"))
}

impl Related {
    /// The resolved relation.
    pub fn relation(&self) -> &ResolvedRelation {
        &self.rel
    }

    /// The instance the relation belongs to, as it is now (methods such as
    /// [`Related::create`] on a belongsTo update it).
    pub fn instance(&self) -> &Record {
        &self.instance
    }

    fn target(&self) -> Result<ModelHandle> {
        if self.rel.kind == RelationKind::BelongsTo {
            if let Some(poly) = &self.rel.polymorphic {
                let name = match self.instance.get(poly.discriminator.as_str()) {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(Error::bad_request(format!(
                            "{} of relation `{}` is not set",
                            poly.discriminator, self.rel.name
                        )))
                    }
                };
                return self.app.try_model(&name);
            }
        }
        self.app.try_model(self.rel.target_name()?)
    }

    /// The through model and its settings; an error for a relation without one.
    fn through_pair(&self) -> Result<(ModelHandle, &super::Through)> {
        match (self.through()?, &self.rel.through) {
            (Some(model), Some(th)) => Ok((model, th)),
            _ => Err(Error::bad_request(format!(
                "relation `{}` has no through model",
                self.rel.name
            ))),
        }
    }

    /// Whether embedded items are validated (`options.validate`, default true).
    fn validates_items(&self) -> bool {
        self.rel.options.get("validate").and_then(|v| v.as_bool()) != Some(false)
    }

    /// Where the targets matching `where_` within the relation and its scope are.
    async fn related_where(
        &self,
        target: &ModelHandle,
        where_: Option<Where>,
        options: &Options,
    ) -> Result<Where> {
        let mut w = self.target_where(target, options).await?;
        if let Some(sw) = self.relation_scope(target)?.where_ {
            w = w.and(sw);
        }
        if let Some(extra) = where_ {
            w = w.and(extra);
        }
        Ok(w)
    }

    fn through(&self) -> Result<Option<ModelHandle>> {
        match &self.rel.through {
            None => Ok(None),
            Some(t) => self.app.try_model(&t.model).map(Some),
        }
    }

    /// The value of the source key (`key_from`), which must be set.
    fn source_key(&self) -> Result<Value> {
        self.instance
            .get(self.rel.key_from.as_str())
            .filter(|v| !v.is_null())
            .cloned()
            .ok_or_else(|| {
                Error::bad_request(format!(
                    "{} instance has no `{}`: save it before using relation `{}`",
                    self.source.name(),
                    self.rel.key_from,
                    self.rel.name
                ))
            })
    }

    /// The condition that scopes a direct (hasMany/hasOne) relation: `key_to` equals the
    /// source key, and the discriminator names the source model when polymorphic.
    fn direct_where(&self) -> Result<Where> {
        let mut w = Where::eq(self.rel.key_to.clone(), self.source_key()?);
        if let Some(poly) = &self.rel.polymorphic {
            w = w.and(Where::eq(
                poly.discriminator.clone(),
                self.rel.source.clone(),
            ));
        }
        Ok(w)
    }

    fn relation_scope(&self, target: &ModelHandle) -> Result<Filter> {
        Ok(self.rel.scope_filter(target)?.unwrap_or_default())
    }

    /// The caller's filter merged with the relation scope ([`Filter::merged_with`]).
    fn scoped(&self, target: &ModelHandle, filter: Filter) -> Result<Filter> {
        Ok(filter.merged_with(self.relation_scope(target)?))
    }

    /// Ids of the targets linked through the through model, in link order.
    async fn linked_ids(&self, options: &Options) -> Result<Vec<Value>> {
        let (Some(through), Some(th)) = (self.through()?, &self.rel.through) else {
            return Ok(Vec::new());
        };
        let links = through
            .find(Filter::default().and_where(self.direct_where()?), options)
            .await?;
        Ok(links
            .into_iter()
            .filter_map(|mut l| l.remove(&th.key_through))
            .filter(|v| !v.is_null())
            .collect())
    }

    fn referenced_ids(&self) -> Vec<Value> {
        match self.instance.get(self.rel.key_from.as_str()) {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        }
    }

    /// The restriction that selects the related targets (every kind but the embedded ones and
    /// belongsTo).
    async fn target_where(&self, target: &ModelHandle, options: &Options) -> Result<Where> {
        let id = target.definition().id_name().to_owned();
        match self.rel.kind {
            RelationKind::ReferencesMany => Ok(Where::Cond {
                property: id,
                op: crate::filter::Condition::Inq(self.referenced_ids()),
            }),
            _ if self.rel.through.is_some() => Ok(Where::Cond {
                property: id,
                op: crate::filter::Condition::Inq(self.linked_ids(options).await?),
            }),
            RelationKind::BelongsTo => Ok(Where::eq(self.rel.key_to.clone(), self.source_key()?)),
            _ => self.direct_where(),
        }
    }

    fn embedded_items(&self) -> Vec<Record> {
        match self.instance.get(self.rel.key_from.as_str()) {
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_object().cloned()).collect(),
            Some(Value::Object(o)) => vec![o.clone()],
            _ => Vec::new(),
        }
    }

    // ----- reads ---------------------------------------------------------------------------

    /// The related instances matching `filter` (LB3's `customer.orders(filter)`), for to-many
    /// relations; a to-one relation gives its instance, if any, as a one-element list.
    pub async fn find(&self, filter: Filter, options: &Options) -> Result<Vec<Record>> {
        if self.rel.is_embedded() {
            let target = self.target()?;
            let f = self.scoped(&target, filter)?;
            let items = self.embedded_items();
            let mut items = crate::filter::apply_filter(items, &f)?;
            super::include::include(&target, &mut items, &f.include, options, &mut Vec::new())
                .await?;
            return Ok(items);
        }
        let target = self.target()?;
        if self.rel.kind == RelationKind::BelongsTo
            && self
                .instance
                .get(self.rel.key_from.as_str())
                .map_or(true, Value::is_null)
        {
            return Ok(Vec::new());
        }
        let restriction = self.target_where(&target, options).await?;
        let f = self.scoped(&target, filter)?.and_where(restriction);
        let mut rows = target.find(f.clone(), options).await?;
        if self.rel.kind == RelationKind::ReferencesMany && f.order.is_empty() {
            // LB3 keeps the order of the stored ids.
            let order: Vec<Option<GroupKey>> =
                self.referenced_ids().iter().map(group_key).collect();
            let id = target.definition().id_name().to_owned();
            rows.sort_by_key(|r| {
                let k = r.get(id.as_str()).and_then(group_key);
                order.iter().position(|o| *o == k).unwrap_or(usize::MAX)
            });
        }
        Ok(rows)
    }

    /// The related instance of a to-one relation (belongsTo, hasOne, embedsOne), if any
    /// (LB3's `order.customer(cb)`).
    pub async fn get(&self, options: &Options) -> Result<Option<Record>> {
        Ok(self
            .find(Filter::default().limit(1), options)
            .await?
            .into_iter()
            .next())
    }

    /// How many related instances match `where_` (LB3's `__count__`).
    pub async fn count(&self, where_: Option<Where>, options: &Options) -> Result<u64> {
        if self.rel.is_embedded() {
            let f = Filter {
                where_,
                ..Filter::default()
            };
            return Ok(self.find(f, options).await?.len() as u64);
        }
        let target = self.target()?;
        let w = self.related_where(&target, where_, options).await?;
        target.count(Some(w), options).await
    }

    /// The related instance with id `fk`; 404 when it does not exist or is not related
    /// (LB3's `__findById__`).
    pub async fn find_by_id(&self, fk: Value, options: &Options) -> Result<Record> {
        let target = self.target()?;
        let fk = target.coerce_id(fk)?;
        let id = target.definition().id_name().to_owned();
        let found = self
            .find(
                Filter::default().and_where(Where::eq(id, fk.clone())),
                options,
            )
            .await?;
        found.into_iter().next().ok_or_else(|| Error::NotFound {
            model: target.name().to_owned(),
            id: fk.to_string(),
        })
    }

    /// Whether `fk` is related: linked through the through model, listed in a referencesMany,
    /// or scoped to this instance (LB3's `__exists__`).
    pub async fn exists(&self, fk: Value, options: &Options) -> Result<bool> {
        match self.find_by_id(fk, options).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    // ----- writes --------------------------------------------------------------------------

    /// The data of a new related instance: `data` with the relation keys and `properties`
    /// copied from the owner. A key the caller set to another owner is refused.
    fn prepare_new(&self, mut data: Record) -> Result<Record> {
        for (from, to) in &self.rel.properties {
            if let (Some(to), Some(v)) = (to.as_str(), self.instance.get(from.as_str())) {
                if !self.rel.invert_properties {
                    data.insert(to, v.clone());
                }
            }
        }
        if matches!(self.rel.kind, RelationKind::HasMany | RelationKind::HasOne)
            && self.rel.through.is_none()
        {
            let key = self.source_key()?;
            if let Some(v) = data.get(self.rel.key_to.as_str()) {
                if !v.is_null() && !v.loose_eq(&key) {
                    return Err(fk_override(&self.rel.key_to));
                }
            }
            data.insert(self.rel.key_to.clone(), key);
            if let Some(poly) = &self.rel.polymorphic {
                data.insert(poly.discriminator.clone(), self.rel.source.clone());
            }
        }
        Ok(data)
    }

    /// A new related instance, not saved (LB3's `build`).
    pub fn build(&self, data: Record) -> Result<Record> {
        self.prepare_new(data)
    }

    /// Creates a related instance (LB3's `__create__`): for hasMany/hasOne with the foreign
    /// key set; for through relations the target and the link; for belongsTo the target, then
    /// the owner is pointed at it; for referencesMany the target, then its id is listed; for
    /// embedded relations the item is stored in the owner.
    pub async fn create(&mut self, data: Record, options: &Options) -> Result<Record> {
        if self.rel.is_embedded() {
            return self.embedded_create(data, options).await;
        }
        let target = self.target()?;
        match self.rel.kind {
            RelationKind::HasOne => {
                if self.get(options).await?.is_some() {
                    return Err(Error::bad_request(format!(
                        "HasOne relation cannot create more than one instance of {}",
                        target.name()
                    )));
                }
                target.create(self.prepare_new(data)?, options).await
            }
            RelationKind::BelongsTo => {
                let created = target.create(data, options).await?;
                let key = created
                    .get(self.rel.key_to.as_str())
                    .cloned()
                    .unwrap_or(Value::Null);
                let mut patch = Record::new();
                patch.insert(self.rel.key_from.clone(), key);
                self.instance = self
                    .source
                    .patch_attributes(&self.instance, patch, options)
                    .await?;
                Ok(created)
            }
            RelationKind::ReferencesMany => {
                let created = target.create(data, options).await?;
                let id = created
                    .get(target.definition().id_name())
                    .cloned()
                    .unwrap_or(Value::Null);
                self.push_reference(id, options).await?;
                Ok(created)
            }
            _ if self.rel.through.is_some() => {
                let created = target.create(self.prepare_new(data)?, options).await?;
                let id = created
                    .get(target.definition().id_name())
                    .cloned()
                    .unwrap_or(Value::Null);
                if let Err(e) = self
                    .link_unchecked(id.clone(), Record::new(), options)
                    .await
                {
                    // LB3 deletes the new target when the link cannot be made.
                    let _ = target.destroy_by_id(id, options).await;
                    return Err(e);
                }
                Ok(created)
            }
            _ => target.create(self.prepare_new(data)?, options).await,
        }
    }

    /// Creates several related instances, in order.
    pub async fn create_many(
        &mut self,
        data: Vec<Record>,
        options: &Options,
    ) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(data.len());
        for d in data {
            out.push(self.create(d, options).await?);
        }
        Ok(out)
    }

    /// Updates the related instance `fk` with `data` (LB3's `__updateById__`). Moving it to
    /// another owner is refused: a changed foreign key or discriminator is a 400.
    pub async fn update_by_id(
        &mut self,
        fk: Value,
        data: Record,
        options: &Options,
    ) -> Result<Record> {
        if self.rel.is_embedded() {
            return self.embedded_update(Some(fk), data, options).await;
        }
        let found = self.find_by_id(fk, options).await?;
        self.check_no_move(&found, &data)?;
        self.target()?.patch_attributes(&found, data, options).await
    }

    fn check_no_move(&self, current: &Record, data: &Record) -> Result<()> {
        let mut guarded = Vec::new();
        if self.rel.through.is_none()
            && matches!(self.rel.kind, RelationKind::HasMany | RelationKind::HasOne)
        {
            guarded.push(self.rel.key_to.clone());
            if let Some(poly) = &self.rel.polymorphic {
                guarded.push(poly.discriminator.clone());
            }
        }
        for key in guarded {
            if let Some(v) = data.get(key.as_str()) {
                let cur = current.get(key.as_str()).cloned().unwrap_or(Value::Null);
                if !v.loose_eq(&cur) {
                    return Err(fk_override(&key));
                }
            }
        }
        Ok(())
    }

    /// Deletes the related instance `fk` (LB3's `__destroyById__`): through relations remove
    /// the link and the target, referencesMany removes the id and the target, embedded
    /// relations remove the item.
    pub async fn destroy_by_id(&mut self, fk: Value, options: &Options) -> Result<()> {
        if self.rel.is_embedded() {
            return self.embedded_destroy(Some(fk), options).await;
        }
        let target = self.target()?;
        let found = self.find_by_id(fk, options).await?;
        let id = found
            .get(target.definition().id_name())
            .cloned()
            .unwrap_or(Value::Null);
        if self.rel.through.is_some() {
            self.unlink(id.clone(), options).await?;
        }
        if self.rel.kind == RelationKind::ReferencesMany {
            self.remove_reference(&id, options).await?;
        }
        target.destroy_by_id(id, options).await?;
        Ok(())
    }

    /// Deletes every related instance matching `where_` (LB3's `__delete__`); returns how many.
    pub async fn destroy_all(&mut self, where_: Option<Where>, options: &Options) -> Result<u64> {
        if self.rel.is_embedded() {
            let items = self.embedded_items();
            let total = items.len();
            let keep: Vec<Record> = match &where_ {
                None => Vec::new(),
                Some(w) => {
                    let c = w.compile()?;
                    items.into_iter().filter(|r| !c.matches(r)).collect()
                }
            };
            let n = total - keep.len();
            self.store_embedded(keep, options).await?;
            return Ok(n as u64);
        }
        let target = self.target()?;
        let w = self.related_where(&target, where_, options).await?;
        if self.rel.through.is_some() || self.rel.kind == RelationKind::ReferencesMany {
            let id = target.definition().id_name().to_owned();
            let doomed: Vec<Value> = target
                .find(
                    Filter::default().and_where(w.clone()).fields([id.as_str()]),
                    options,
                )
                .await?
                .into_iter()
                .filter_map(|mut r| r.remove(&id))
                .collect();
            if let Some(th) = self.rel.through.clone().filter(|_| !doomed.is_empty()) {
                let (through, _) = self.through_pair()?;
                through
                    .destroy_all(
                        Some(self.direct_where()?.and(Where::Cond {
                            property: th.key_through,
                            op: crate::filter::Condition::Inq(doomed.clone()),
                        })),
                        options,
                    )
                    .await?;
            }
            if self.rel.kind == RelationKind::ReferencesMany {
                self.remove_references(&doomed, options).await?;
            }
        }
        target.destroy_all(Some(w), options).await
    }

    /// Updates the related instance of a to-one relation (LB3's `__update__`).
    pub async fn update(&mut self, data: Record, options: &Options) -> Result<Record> {
        if self.rel.is_embedded() {
            return self.embedded_update(None, data, options).await;
        }
        let target = self.target()?;
        let current = self.get(options).await?.ok_or_else(|| Error::NotFound {
            model: target.name().to_owned(),
            id: "(related)".into(),
        })?;
        self.check_no_move(&current, &data)?;
        if self.rel.kind == RelationKind::BelongsTo {
            // LB3's BelongsTo.update keeps the target's id.
            let id = target.definition().id_name().to_owned();
            if let Some(v) = data.get(id.as_str()) {
                if !current.get(id.as_str()).is_some_and(|c| c.loose_eq(v)) {
                    return Err(fk_override(&id));
                }
            }
        }
        target.patch_attributes(&current, data, options).await
    }

    /// Deletes the related instance of a to-one relation (LB3's `__destroy__`); a belongsTo
    /// also clears the owner's foreign key.
    pub async fn destroy(&mut self, options: &Options) -> Result<()> {
        if self.rel.is_embedded() {
            return self.embedded_destroy(None, options).await;
        }
        let target = self.target()?;
        let Some(current) = self.get(options).await? else {
            return Ok(());
        };
        target.delete_instance(&current, options).await?;
        if self.rel.kind == RelationKind::BelongsTo {
            let mut patch = Record::new();
            patch.insert(self.rel.key_from.clone(), Value::Null);
            self.instance = self
                .source
                .patch_attributes(&self.instance, patch, options)
                .await?;
        }
        Ok(())
    }

    // ----- links (through relations, referencesMany) ----------------------------------------

    async fn link_unchecked(&self, fk: Value, data: Record, options: &Options) -> Result<Record> {
        let (through, th) = self.through_pair()?;
        let mut link = data;
        link.insert(self.rel.key_to.clone(), self.source_key()?);
        link.insert(th.key_through.clone(), fk.clone());
        if let Some(poly) = &self.rel.polymorphic {
            link.insert(poly.discriminator.clone(), self.rel.source.clone());
        }
        let filter = Filter::default().and_where(
            self.direct_where()?
                .and(Where::eq(th.key_through.clone(), fk)),
        );
        Ok(through
            .find_or_create(filter, link, options)
            .await?
            .instance)
    }

    /// Links the existing target `fk` (LB3's `__link__`, `add`): creates the through instance
    /// (with `data` for through-model properties) and returns it; for referencesMany lists the
    /// id and returns the target. A target that does not exist is a 404 and nothing is
    /// written.
    pub async fn link(&mut self, fk: Value, data: Record, options: &Options) -> Result<Record> {
        let target = self.target()?;
        let fk = target.coerce_id(fk)?;
        let Some(found) = target.find_by_id(fk.clone(), None, options).await? else {
            return Err(Error::NotFound {
                model: target.name().to_owned(),
                id: fk.to_string(),
            });
        };
        if self.rel.kind == RelationKind::ReferencesMany {
            self.push_reference(fk, options).await?;
            return Ok(found);
        }
        self.link_unchecked(fk, data, options).await
    }

    /// Removes the link to `fk` (LB3's `__unlink__`, `remove`); the target stays.
    pub async fn unlink(&mut self, fk: Value, options: &Options) -> Result<()> {
        let target = self.target()?;
        let fk = target.coerce_id(fk)?;
        if self.rel.kind == RelationKind::ReferencesMany {
            return self.remove_reference(&fk, options).await;
        }
        let (through, th) = self.through_pair()?;
        through
            .destroy_all(
                Some(
                    self.direct_where()?
                        .and(Where::eq(th.key_through.clone(), fk)),
                ),
                options,
            )
            .await?;
        Ok(())
    }

    /// LB3's `add`, for the two relations that keep references in the owner:
    ///
    /// - referencesMany: lists the existing target `fk` (a second add lists it once) and returns
    ///   the target;
    /// - embedsMany with `options.belongsTo` naming a belongsTo relation of the embedded model
    ///   (a list of links): embeds a new item built from `data` that points at the existing
    ///   model `fk` through that relation, and returns the item.
    ///
    /// `Ok(None)` when the model `fk` does not exist; nothing is written then.
    pub async fn add(
        &mut self,
        fk: Value,
        data: Record,
        options: &Options,
    ) -> Result<Option<Record>> {
        if self.rel.kind == RelationKind::ReferencesMany {
            let target = self.target()?;
            let fk = target.coerce_id(fk)?;
            let Some(found) = target.find_by_id(fk.clone(), None, options).await? else {
                return Ok(None);
            };
            self.push_reference(fk, options).await?;
            return Ok(Some(found));
        }
        let link = self.embedded_link()?;
        let referenced = self.target()?.app()?.try_model(link.target_name()?)?;
        let fk = referenced.coerce_id(fk)?;
        let filter = Filter::with_where(Where::eq(link.key_to.clone(), fk))
            .merged_with(link.scope_filter(&referenced)?.unwrap_or_default());
        let Some(found) = referenced.find_one(filter, options).await? else {
            return Ok(None);
        };
        let mut item = data;
        item.insert(
            link.key_from.clone(),
            found
                .get(link.key_to.as_str())
                .cloned()
                .unwrap_or(Value::Null),
        );
        self.embedded_create(item, options).await.map(Some)
    }

    /// LB3's `remove`, the reverse of [`Related::add`]: unlists `fk` (referencesMany), or drops
    /// every embedded link item that points at `fk` (embedsMany with `options.belongsTo`).
    /// Removing what is not there changes nothing.
    pub async fn remove(&mut self, fk: Value, options: &Options) -> Result<()> {
        if self.rel.kind == RelationKind::ReferencesMany {
            return self.unlink(fk, options).await;
        }
        let link = self.embedded_link()?;
        let referenced = self.target()?.app()?.try_model(link.target_name()?)?;
        let fk = referenced.coerce_id(fk)?;
        let mut items = self.embedded_items();
        let before = items.len();
        items.retain(|item| {
            !item
                .get(link.key_from.as_str())
                .is_some_and(|v| v.loose_eq(&fk))
        });
        if items.len() == before {
            return Ok(());
        }
        self.store_embedded(items, options).await
    }

    /// The belongsTo relation of the embedded model that `options.belongsTo` of an embedsMany
    /// names (LB3's embedded links).
    fn embedded_link(&self) -> Result<Arc<ResolvedRelation>> {
        if self.rel.kind != RelationKind::EmbedsMany {
            return Err(Error::bad_request(format!(
                "relation `{}` of {} has no add/remove: they are for referencesMany and for \
                 embedsMany with options.belongsTo",
                self.rel.name, self.rel.source
            )));
        }
        let Some(name) = self.rel.options.get("belongsTo").and_then(|v| v.as_str()) else {
            return Err(Error::bad_request(format!(
                "Invalid reference: relation `{}` of {} has no options.belongsTo",
                self.rel.name, self.rel.source
            )));
        };
        let link = self.target()?.relation(name)?;
        if link.kind != RelationKind::BelongsTo || link.target.is_none() {
            return Err(Error::bad_request(format!(
                "Invalid reference: options.belongsTo of `{}` must name a belongsTo relation \
                 of {} with one target model",
                self.rel.name,
                self.target()?.name()
            )));
        }
        Ok(link)
    }

    async fn store_source(&mut self, key: String, value: Value, options: &Options) -> Result<()> {
        let mut patch = Record::new();
        patch.insert(key, value);
        self.instance = self
            .source
            .patch_attributes(&self.instance, patch, options)
            .await?;
        Ok(())
    }

    async fn push_reference(&mut self, id: Value, options: &Options) -> Result<()> {
        let mut ids = self.referenced_ids();
        if ids.iter().any(|v| v.loose_eq(&id)) {
            return Ok(());
        }
        ids.push(id);
        self.store_source(self.rel.key_from.clone(), Value::Array(ids), options)
            .await
    }

    async fn remove_reference(&mut self, id: &Value, options: &Options) -> Result<()> {
        self.remove_references(std::slice::from_ref(id), options)
            .await
    }

    /// Drops `ids` from the stored list in one write.
    async fn remove_references(&mut self, doomed: &[Value], options: &Options) -> Result<()> {
        let mut ids = self.referenced_ids();
        let before = ids.len();
        ids.retain(|v| !doomed.iter().any(|d| v.loose_eq(d)));
        if ids.len() == before {
            return Ok(());
        }
        self.store_source(self.rel.key_from.clone(), Value::Array(ids), options)
            .await
    }

    // ----- embedded relations ---------------------------------------------------------------

    async fn store_embedded(&mut self, items: Vec<Record>, options: &Options) -> Result<()> {
        let value = if self.rel.multiple {
            Value::Array(items.into_iter().map(Value::Object).collect())
        } else {
            items.into_iter().next().map_or(Value::Null, Value::Object)
        };
        self.store_source(self.rel.key_from.clone(), value, options)
            .await
    }

    async fn embedded_create(&mut self, data: Record, options: &Options) -> Result<Record> {
        let target = self.target()?;
        let tdef = target.definition();
        let id = tdef.id_name().to_owned();
        let mut item = self.prepare_new(data)?;
        let mut items = if self.rel.multiple {
            self.embedded_items()
        } else {
            Vec::new()
        };
        // LB3 assigns an id when none is given, or always with `options.forceId`, unless
        // `options.persistent` leaves ids to the target's data source.
        let options_say = |k: &str| super::option_bool(&self.rel.options, k);
        let assign = options_say("forceId") || item.get(id.as_str()).map_or(true, Value::is_null);
        if assign && !options_say("persistent") && tdef.property(&id).is_some() {
            // Like LB3's memory-backed transient models: the next number, or a UUID for
            // string ids.
            let next = match tdef.property(&id).map(|p| &p.ty) {
                Some(crate::model::PropertyType::String) => Value::String(uuid_like(&items, &id)),
                _ => Value::Int(
                    items
                        .iter()
                        .filter_map(|r| r.get(id.as_str()).and_then(Value::as_i64))
                        .max()
                        .unwrap_or(0)
                        + 1,
                ),
            };
            item.insert(id.clone(), next);
        }
        if self.rel.multiple {
            if let Some(v) = item.get(id.as_str()) {
                if items
                    .iter()
                    .any(|r| r.get(id.as_str()).is_some_and(|x| x.loose_eq(v)))
                {
                    // LB3 reports this on the owner: 422, code `uniqueness`.
                    let mut err = crate::validation::ValidationError::new(self.source.name());
                    err.add(
                        &self.rel.key_from,
                        "uniqueness",
                        format!("contains duplicate `{id}`"),
                    );
                    return Err(err.into());
                }
            }
        }
        let item = crate::data::prepare(&tdef, item, crate::data::WriteKind::Create)?;
        if self.validates_items() {
            // Not validated as a new record of the target: the item's id was just assigned
            // by the relation (or given, which embedded lists allow), so the target's
            // `forceId` "can't be set" rule does not apply.
            target.validate(&item, false, options).await?;
        }
        items.push(item.clone());
        self.store_embedded(items, options).await?;
        Ok(item)
    }

    async fn embedded_update(
        &mut self,
        fk: Option<Value>,
        data: Record,
        options: &Options,
    ) -> Result<Record> {
        let target = self.target()?;
        let tdef = target.definition();
        let id = tdef.id_name().to_owned();
        let mut items = self.embedded_items();
        let pos = match &fk {
            None if !items.is_empty() => 0,
            None => {
                return Err(Error::NotFound {
                    model: target.name().to_owned(),
                    id: "(embedded)".into(),
                })
            }
            Some(fk) => items
                .iter()
                .position(|r| r.get(id.as_str()).is_some_and(|v| v.loose_eq(fk)))
                .ok_or_else(|| Error::NotFound {
                    model: target.name().to_owned(),
                    id: fk.to_string(),
                })?,
        };
        let mut item = items[pos].clone();
        for (k, v) in data.iter() {
            if &**k == id.as_str() && item.get(id.as_str()).is_some_and(|cur| !cur.loose_eq(v)) {
                return Err(fk_override(&id));
            }
            item.insert(k.clone(), v.clone());
        }
        let item = crate::data::prepare(&tdef, item, crate::data::WriteKind::Create)?;
        if self.validates_items() {
            target.validate(&item, false, options).await?;
        }
        items[pos] = item.clone();
        self.store_embedded(items, options).await?;
        Ok(item)
    }

    async fn embedded_destroy(&mut self, fk: Option<Value>, options: &Options) -> Result<()> {
        let target = self.target()?;
        let id = target.definition().id_name().to_owned();
        let mut items = self.embedded_items();
        match &fk {
            None => items.clear(),
            Some(fk) => {
                let before = items.len();
                items.retain(|r| !r.get(id.as_str()).is_some_and(|v| v.loose_eq(fk)));
                if items.len() == before {
                    return Err(Error::NotFound {
                        model: target.name().to_owned(),
                        id: fk.to_string(),
                    });
                }
            }
        }
        self.store_embedded(items, options).await
    }
}

/// A fresh string id for an embedded item: a random UUID not used in `items`.
fn uuid_like(items: &[Record], id: &str) -> String {
    loop {
        let candidate = uuid::Uuid::new_v4().to_string();
        if !items
            .iter()
            .any(|r| r.get(id).and_then(Value::as_str) == Some(candidate.as_str()))
        {
            return candidate;
        }
    }
}
