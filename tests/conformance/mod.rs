//! The connector conformance suite: LoopBack 3's juggler behaviours (basic-querying,
//! manipulation, datatype, defaults, validations and persistence-hooks), written once against
//! the operation layer and instantiated per connector with [`conformance_suite!`].
//!
//! A connector's test file provides an async factory returning a [`Fixture`]:
//!
//! ```ignore
//! #[macro_use]
//! mod conformance;
//! conformance_suite!(|| async { conformance::Fixture::new(loopback::connectors::memory()) });
//! ```
//!
//! Every case builds its own [`App`], data source `db` and models from LB3 model JSON, so SQL
//! connectors can hand out a fresh schema per case and drop it through the fixture's guard.
//! Cases read [`Capabilities`] and assert the "not supported" error where a connector lacks a
//! feature, instead of skipping silently.
//!
//! Expected values that depend on LoopBack 3 behaviour (hook order, context fields,
//! `isNewInstance`, validation codes and messages) were observed on loopback-datasource-juggler
//! 3.36 with its memory connector; where this implementation deliberately differs, the case says
//! so next to the assertion.
//!
//! A case function that is not listed in [`conformance_suite!`] is dead code, so the compiler
//! points it out.

use std::any::Any;
use std::sync::{Arc, Mutex};

use loopback::{
    App, Capabilities, Connector, Error, Filter, HookContext, HookKind, ModelDefinition,
    ModelHandle, Options, ParseOptions, Record, ValidationError, Value, Where,
};
use serde_json::json;

pub mod crud;
pub mod fields;
pub mod hooks;
pub mod ids_defaults;
pub mod include;
pub mod operators;
pub mod ordering_paging;
pub mod related_where;
pub mod relations;
pub mod strict;
pub mod validation;
pub mod wrapped;

/// What a connector's factory hands to each case: the connector to test, and a guard dropped
/// when the case ends (e.g. one that drops the case's schema).
pub struct Fixture {
    /// The connector under test, fresh for this case.
    pub connector: Arc<dyn Connector>,
    /// Anything that must live as long as the case.
    #[allow(dead_code)] // held for its `Drop`
    pub guard: Option<Box<dyn Any + Send + Sync>>,
}

impl Fixture {
    /// A fixture with nothing to clean up.
    #[allow(dead_code)] // connectors with per-case databases use `with_guard`
    pub fn new(connector: Arc<dyn Connector>) -> Self {
        Fixture {
            connector,
            guard: None,
        }
    }

    /// A fixture that keeps `guard` alive until the case ends.
    #[allow(dead_code)] // for connectors with per-case schemas
    pub fn with_guard(connector: Arc<dyn Connector>, guard: impl Any + Send + Sync) -> Self {
        Fixture {
            connector,
            guard: Some(Box::new(guard)),
        }
    }
}

/// What a factory may return: a [`Fixture`], or `Option<Fixture>` where `None` skips the case.
pub trait IntoFixture {
    /// The fixture, or `None` to skip.
    fn into_fixture(self) -> Option<Fixture>;
}

impl IntoFixture for Fixture {
    fn into_fixture(self) -> Option<Fixture> {
        Some(self)
    }
}

impl IntoFixture for Option<Fixture> {
    fn into_fixture(self) -> Option<Fixture> {
        self
    }
}

/// One case's application: an [`App`] with the fixture's connector as data source `db`.
pub struct Env {
    /// The application.
    pub app: App,
    fixture: Fixture,
}

impl Env {
    /// Wraps a fixture.
    pub fn new(fixture: Fixture) -> Self {
        let app = App::new();
        app.data_source("db", fixture.connector.clone());
        Env { app, fixture }
    }

    /// The connector under test.
    #[allow(dead_code)] // for cases that call the connector directly
    pub fn connector(&self) -> &Arc<dyn Connector> {
        &self.fixture.connector
    }

    /// The connector's capabilities.
    pub fn caps(&self) -> &Capabilities {
        self.fixture.connector.capabilities()
    }

    /// Defines a model from LB3 model JSON on `db`, migrating its storage when the connector
    /// has schemas.
    pub async fn define(&self, json: serde_json::Value) -> ModelHandle {
        let def = ModelDefinition::from_lb3_json(&json).expect("valid model JSON");
        let m = self.app.define(def, "db").await.expect("model attaches");
        if self.caps().migration {
            self.fixture
                .connector
                .automigrate(&[m.definition()])
                .await
                .expect("automigrate");
        }
        m
    }

    /// Defines several related models from LB3 JSON, in order, and only then migrates the
    /// storage of every model of the application at once: relations add foreign keys to models
    /// defined earlier and define implicit through models (hasAndBelongsToMany), so the
    /// migration must see the final definitions. Returns the handles in the order given.
    ///
    /// Every model of the application is migrated afresh, so call this before seeding.
    pub async fn define_all(&self, jsons: Vec<serde_json::Value>) -> Vec<ModelHandle> {
        let mut out = Vec::with_capacity(jsons.len());
        for json in jsons {
            let def = ModelDefinition::from_lb3_json(&json).expect("valid model JSON");
            out.push(self.app.define(def, "db").await.expect("model attaches"));
        }
        if self.caps().migration {
            let defs: Vec<_> = self
                .app
                .models()
                .iter()
                .map(ModelHandle::definition)
                .collect();
            self.fixture
                .connector
                .automigrate(&defs)
                .await
                .expect("automigrate");
        }
        out
    }

    /// The suite's main model: a product catalogue with one property of each scalar type.
    pub async fn product(&self) -> ModelHandle {
        self.define(product_json()).await
    }

    /// The product model seeded with [`PRODUCTS`], ids 1..=5 in that order.
    pub async fn seeded_product(&self) -> ModelHandle {
        let m = self.product().await;
        seed(&m, PRODUCTS).await;
        m
    }
}

/// LB3 JSON of the `Product` model.
pub fn product_json() -> serde_json::Value {
    json!({
        "name": "Product",
        "properties": {
            "name": {"type": "string", "required": true},
            "qty": "number",
            "price": "number",
            "active": "boolean",
            "born": "date",
            "tag": "string"
        }
    })
}

/// Five products. Names are lower case and their substrings chosen so that SQL collations and
/// anchored versus unanchored LIKE give the same answers on every connector.
pub const PRODUCTS: &[&str] = &[
    r#"{"name": "alpha", "qty": 1, "price": 10.5, "active": true, "born": "2020-01-01T00:00:00.000Z", "tag": "x"}"#,
    r#"{"name": "beta", "qty": 2, "price": 20, "active": false, "born": "2021-06-15T12:00:00.000Z", "tag": "y"}"#,
    r#"{"name": "gamma", "qty": 3, "price": 30, "active": true, "born": "2022-12-31T23:59:59.000Z", "tag": null}"#,
    r#"{"name": "delta", "qty": 4, "price": 40, "active": false, "born": "2019-03-03T03:03:03.000Z", "tag": "y"}"#,
    r#"{"name": "epsilon", "qty": 5, "price": 50.25, "active": true, "born": "2023-01-01T00:00:00.000Z", "tag": "x"}"#,
];

/// Creates one record per JSON text, in order.
pub async fn seed(m: &ModelHandle, rows: &[&str]) -> Vec<Record> {
    let mut out = Vec::new();
    for r in rows {
        let j: serde_json::Value = serde_json::from_str(r).expect("seed JSON");
        out.push(
            m.create(rec(j), &opts())
                .await
                .expect("seed row is created"),
        );
    }
    out
}

/// Empty options.
pub fn opts() -> Options {
    Options::new()
}

/// A record from a JSON object.
pub fn rec(j: serde_json::Value) -> Record {
    Record::from_json(&j).expect("a JSON object")
}

/// The id of a record as an integer.
pub fn id_of(r: &Record) -> i64 {
    r.get("id")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("record has no integer id: {r:?}"))
}

/// Integer ids, in result order.
pub fn ids(rows: &[Record]) -> Vec<i64> {
    rows.iter().map(id_of).collect()
}

/// Integer ids, sorted (for results whose order is unspecified).
pub fn sorted_ids(rows: &[Record]) -> Vec<i64> {
    let mut v = ids(rows);
    v.sort_unstable();
    v
}

/// The string values of `prop`, in result order.
pub fn strings(rows: &[Record], prop: &str) -> Vec<String> {
    rows.iter()
        .map(|r| {
            r.get(prop)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The names, in result order.
pub fn names(rows: &[Record]) -> Vec<String> {
    strings(rows, "name")
}

/// A record's JSON with LB3 formatting (dates as ISO strings), without null properties: a
/// property that was never set is absent on some connectors and a null column on others.
pub fn to_json(r: &Record) -> serde_json::Value {
    let mut j = r.to_json();
    if let Some(o) = j.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    j
}

/// [`to_json`] at every depth: null properties are dropped from nested objects too (included
/// related rows, embedded items), since SQL connectors return NULL columns where the memory
/// connector leaves keys absent.
pub fn deep_json(r: &Record) -> serde_json::Value {
    fn clean(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(o) => serde_json::Value::Object(
                o.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, clean(v)))
                    .collect(),
            ),
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(clean).collect())
            }
            other => other,
        }
    }
    clean(r.to_json())
}

/// [`deep_json`] of each row, as a JSON array.
pub fn rows_json(rows: &[Record]) -> serde_json::Value {
    serde_json::Value::Array(rows.iter().map(deep_json).collect())
}

/// Parses a filter against a model, as the REST layer does.
pub fn filter(m: &ModelHandle, j: serde_json::Value) -> Filter {
    Filter::from_json(&j, &ParseOptions::for_model(&m.definition())).expect("filter parses")
}

/// Parses a bare where against a model.
pub fn where_(m: &ModelHandle, j: serde_json::Value) -> Where {
    Where::from_json(&j, &ParseOptions::for_model(&m.definition())).expect("where parses")
}

/// Finds with a parsed filter, ordered by id unless the filter orders.
pub async fn find_json(m: &ModelHandle, j: serde_json::Value) -> Vec<Record> {
    let mut f = filter(m, j);
    if f.order.is_empty() && !has_near(&f) {
        f = f.order_by("id", loopback::Direction::Asc);
    }
    m.find(f, &opts()).await.expect("find succeeds")
}

/// Finds by a where built in Rust, ordered by id.
pub async fn find_where(m: &ModelHandle, w: Where) -> Vec<Record> {
    m.find(
        Filter::with_where(w).order_by("id", loopback::Direction::Asc),
        &opts(),
    )
    .await
    .expect("find succeeds")
}

/// Every record, ordered by id.
pub async fn all(m: &ModelHandle) -> Vec<Record> {
    m.find(
        Filter::new().order_by("id", loopback::Direction::Asc),
        &opts(),
    )
    .await
    .expect("find succeeds")
}

/// The stored record with integer id `id`.
pub async fn stored(m: &ModelHandle, id: i64) -> Option<Record> {
    m.find_by_id(Value::Int(id), None, &opts())
        .await
        .expect("findById succeeds")
}

/// How many records the model has.
pub async fn count(m: &ModelHandle) -> u64 {
    m.count(None, &opts()).await.expect("count succeeds")
}

fn has_near(f: &Filter) -> bool {
    let mut near = false;
    if let Some(w) = &f.where_ {
        w.for_each_cond(&mut |_, c| near |= matches!(c, loopback::Condition::Near(_)));
    }
    near
}

/// The validation error inside `e`, failing the case when it is another error.
pub fn validation(e: &Error) -> &ValidationError {
    e.as_validation()
        .unwrap_or_else(|| panic!("expected a ValidationError, got {e:?}"))
}

/// `details.codes` of a validation error, as JSON.
pub fn codes(e: &Error) -> serde_json::Value {
    serde_json::Value::Object(validation(e).codes())
}

/// `details.messages` of a validation error, as JSON.
pub fn messages(e: &Error) -> serde_json::Value {
    serde_json::Value::Object(validation(e).messages())
}

/// Asserts that `r` failed because the connector lacks a feature.
pub fn assert_not_supported<T: std::fmt::Debug>(r: loopback::Result<T>) {
    match r {
        Err(e @ Error::NotSupported { .. }) => assert_eq!(e.status(), 501),
        other => panic!("expected NotSupported, got {other:?}"),
    }
}

/// Records every hook fired on a model: its name, and the context it received.
#[derive(Clone, Default)]
pub struct HookLog(Arc<Mutex<Vec<HookContext>>>);

impl HookLog {
    /// Observes all seven hooks of `m`, passing every context through unchanged.
    pub fn attach(m: &ModelHandle) -> Self {
        let log = HookLog::default();
        for hook in ALL_HOOKS {
            let l = log.clone();
            m.observe(hook, move |ctx| {
                let l = l.clone();
                async move {
                    l.0.lock().unwrap().push(ctx.clone());
                    Ok(ctx)
                }
            });
        }
        log
    }

    /// The hook names fired so far, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.hook.as_str())
            .collect()
    }

    /// Every context recorded so far.
    pub fn contexts(&self) -> Vec<HookContext> {
        self.0.lock().unwrap().clone()
    }

    /// The first context of `hook`.
    pub fn first(&self, hook: HookKind) -> HookContext {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.hook == hook)
            .cloned()
            .unwrap_or_else(|| panic!("hook `{hook}` did not fire; fired: {:?}", self.names()))
    }

    /// The last context of `hook`.
    pub fn last(&self, hook: HookKind) -> HookContext {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|c| c.hook == hook)
            .cloned()
            .unwrap_or_else(|| panic!("hook `{hook}` did not fire; fired: {:?}", self.names()))
    }

    /// Forgets everything recorded (after seeding).
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// The seven operation hooks.
pub const ALL_HOOKS: [HookKind; 7] = [
    HookKind::Access,
    HookKind::BeforeSave,
    HookKind::Persist,
    HookKind::Loaded,
    HookKind::AfterSave,
    HookKind::BeforeDelete,
    HookKind::AfterDelete,
];

/// Expands to one `#[tokio::test]` per conformance case, each calling `$factory().await` for a
/// fresh [`Fixture`].
macro_rules! conformance_suite {
    ($factory:expr) => {
        conformance_suite!(@cases $factory;
            crud::crud_create_returns_generated_id,
            crud::crud_create_generates_distinct_ids,
            crud::crud_create_returns_coerced_data,
            crud::crud_create_many_returns_each_in_order,
            crud::crud_create_many_stops_at_first_invalid,
            crud::crud_create_with_explicit_id_when_force_id_false,
            crud::crud_create_duplicate_id_is_422_and_keeps_original,
            crud::crud_create_after_explicit_id_generates_unused_id,
            crud::crud_find_without_filter_returns_all,
            crud::crud_find_on_empty_model_returns_nothing,
            crud::crud_find_json_filter_with_where,
            crud::crud_find_one_returns_first_in_order,
            crud::crud_find_one_without_match_is_none,
            crud::crud_find_by_id_returns_record,
            crud::crud_find_by_id_unknown_is_none,
            crud::crud_find_by_id_coerces_string_id,
            crud::crud_find_by_id_ignores_filter_where,
            crud::crud_exists_true_and_false,
            crud::crud_count_all_where_and_none,
            crud::crud_count_with_parsed_where,
            crud::crud_update_all_returns_count_and_applies_data,
            crud::crud_update_all_without_where_updates_every_record,
            crud::crud_update_all_without_match_is_zero,
            crud::crud_update_all_coerces_data,
            crud::crud_update_all_null_clears_property,
            crud::crud_update_all_refuses_id_under_force_id,
            crud::crud_destroy_all_with_where_returns_count,
            crud::crud_destroy_all_without_where_empties_model,
            crud::crud_destroy_by_id_counts_one_then_zero,
            crud::crud_upsert_without_id_creates,
            crud::crud_upsert_existing_patches_given_properties_only,
            crud::crud_upsert_null_clears_property,
            crud::crud_upsert_unknown_id_creates_when_force_id_false,
            crud::crud_upsert_unknown_id_under_force_id_is_404,
            crud::crud_upsert_validate_upsert_true_rejects_invalid,
            crud::crud_upsert_skips_validation_without_validate_upsert,
            crud::crud_replace_or_create_replaces_whole_record,
            crud::crud_replace_or_create_creates_with_given_id,
            crud::crud_replace_or_create_without_id_creates,
            crud::crud_replace_or_create_unknown_id_under_force_id_is_404,
            crud::crud_replace_or_create_validates,
            crud::crud_upsert_with_where_creates_without_match,
            crud::crud_upsert_with_where_patches_single_match,
            crud::crud_upsert_with_where_many_matches_is_400,
            crud::crud_upsert_with_where_empty_data_is_400,
            crud::crud_find_or_create_returns_existing,
            crud::crud_find_or_create_creates_when_absent,
            crud::crud_find_or_create_json_filter,
            crud::crud_replace_by_id_replaces_whole_record,
            crud::crud_replace_by_id_unknown_id_is_404_model_not_found,
            crud::crud_replace_by_id_conflicting_id_is_400,
            crud::crud_patch_by_id_updates_and_returns_merged,
            crud::crud_patch_by_id_unknown_id_is_404,
            crud::crud_patch_attributes_merges,
            crud::crud_patch_attributes_cannot_change_id,
            crud::crud_save_existing_writes_every_property,
            crud::crud_save_without_id_creates,
            crud::crud_save_unknown_id_under_force_id_is_422,
            crud::crud_replace_attributes_replaces,
            crud::crud_delete_instance_removes_it,
            crud::crud_reload_returns_stored_version,
            crud::crud_models_on_one_data_source_are_isolated,
            operators::op_eq_string,
            operators::op_eq_number_json,
            operators::op_eq_null_matches_null_and_missing,
            operators::op_neq,
            operators::op_neq_null,
            operators::op_negative_operators_match_null,
            operators::op_gt_and_gte,
            operators::op_lt_and_lte,
            operators::op_float_comparison,
            operators::op_two_operators_on_one_property,
            operators::op_between_is_inclusive,
            operators::op_between_json,
            operators::op_inq,
            operators::op_inq_json_strings_coerced,
            operators::op_nin,
            operators::op_like_contains,
            operators::op_like_prefix_and_single_char,
            operators::op_nlike,
            operators::op_ilike,
            operators::op_nilike,
            operators::op_regexp,
            operators::op_regexp_with_flags,
            operators::op_and,
            operators::op_or,
            operators::op_nested_and_or,
            operators::op_nor,
            operators::op_implicit_and_of_properties,
            operators::op_date_compared_with_iso_string,
            operators::op_date_compared_with_epoch_millis,
            operators::op_date_between_and_equality,
            operators::op_booleans,
            operators::op_query_strings_coerced_by_property_type,
            operators::op_near_orders_by_distance,
            operators::op_near_max_distance_miles,
            operators::op_near_max_distance_kilometers,
            operators::op_near_with_limit,
            operators::op_where_in_update_and_destroy,
            ordering_paging::order_numbers_ascending,
            ordering_paging::order_numbers_descending,
            ordering_paging::order_strings,
            ordering_paging::order_dates,
            ordering_paging::order_floats,
            ordering_paging::order_multiple_keys,
            ordering_paging::order_json_forms,
            ordering_paging::order_direction_is_case_insensitive,
            ordering_paging::page_limit,
            ordering_paging::page_skip_with_limit,
            ordering_paging::page_through_results,
            ordering_paging::page_offset_alias,
            ordering_paging::page_skip_without_limit_returns_100,
            ordering_paging::page_limit_beyond_rows,
            ordering_paging::page_skip_beyond_rows,
            ordering_paging::page_find_one_honours_order_and_skip,
            fields::fields_include_list,
            fields::fields_exclude_list,
            fields::fields_json_object_true,
            fields::fields_json_object_false,
            fields::fields_json_array,
            fields::fields_with_where_and_order_on_unselected_property,
            fields::fields_on_find_by_id,
            fields::fields_on_find_one,
            ids_defaults::ids_injected_id_is_generated_number,
            ids_defaults::ids_custom_id_property,
            ids_defaults::ids_id_injection_false_adds_no_id,
            ids_defaults::ids_string_ids,
            ids_defaults::ids_duplicate_string_id_is_422,
            ids_defaults::ids_force_id_default_refuses_client_id,
            ids_defaults::ids_force_id_allows_null_id,
            ids_defaults::ids_force_id_true_on_custom_generated_id,
            ids_defaults::ids_force_id_false_allows_client_id,
            ids_defaults::defaults_literal_values,
            ids_defaults::defaults_not_applied_over_given_or_null_values,
            ids_defaults::defaults_not_applied_on_patch_or_update_all,
            ids_defaults::defaults_applied_on_replace,
            ids_defaults::defaults_now_is_creation_time,
            ids_defaults::defaults_uuid_default_fn,
            ids_defaults::defaults_now_default_fn,
            strict::strict_false_keeps_unknown_properties,
            strict::strict_false_update_all_stores_unknown_properties,
            strict::strict_filter_drops_unknown_properties,
            strict::strict_filter_on_updates,
            strict::strict_true_refuses_unknown_property,
            strict::strict_true_refuses_unknown_property_on_patch,
            strict::strict_throw_is_an_error,
            strict::coerce_numbers_booleans_dates_and_strings,
            strict::coerce_arrays_objects_and_geopoints,
            strict::type_errors_are_422_and_write_nothing,
            strict::type_errors_on_patch_and_update_all,
            validation::valid_required_property,
            validation::valid_presence_rule,
            validation::valid_absence_rule,
            validation::valid_length_default_messages,
            validation::valid_length_custom_messages,
            validation::valid_length_blank_and_null,
            validation::valid_allow_null_and_allow_blank,
            validation::valid_format,
            validation::valid_numericality,
            validation::valid_inclusion_and_exclusion,
            validation::valid_uniqueness,
            validation::valid_uniqueness_on_update,
            validation::valid_uniqueness_scoped_to,
            validation::valid_uniqueness_ignore_case,
            validation::valid_custom_sync_validator,
            validation::valid_custom_async_validator,
            validation::valid_error_shape,
            validation::valid_message_lists_every_failure,
            validation::valid_long_values_are_truncated_in_message,
            validation::valid_code_override,
            validation::valid_conditional_if_unless,
            validation::valid_runs_on_patch_replace_and_save,
            validation::valid_not_run_by_update_all,
            validation::valid_failure_writes_nothing,
            validation::valid_base_model_rules_are_inherited,
            hooks::hooks_find_sequence,
            hooks::hooks_find_one_and_find_by_id_sequence,
            hooks::hooks_exists_and_count_fire_access_only,
            hooks::hooks_create_sequence_and_context,
            hooks::hooks_create_many_sequence,
            hooks::hooks_upsert_without_id_is_create,
            hooks::hooks_upsert_update_sequence_and_context,
            hooks::hooks_upsert_create_sequence_and_context,
            hooks::hooks_upsert_under_force_id_loads_then_patches,
            hooks::hooks_replace_or_create_sequence_and_context,
            hooks::hooks_replace_or_create_under_force_id_is_replace_by_id,
            hooks::hooks_upsert_with_where_create_sequence,
            hooks::hooks_upsert_with_where_update_sequence,
            hooks::hooks_find_or_create_found_sequence,
            hooks::hooks_find_or_create_created_sequence,
            hooks::hooks_update_all_sequence_and_context,
            hooks::hooks_destroy_all_sequence_and_context,
            hooks::hooks_destroy_by_id_sequence,
            hooks::hooks_replace_by_id_sequence_and_context,
            hooks::hooks_patch_attributes_sequence_and_context,
            hooks::hooks_patch_by_id_loads_first,
            hooks::hooks_save_sequence_and_context,
            hooks::hooks_save_new_instance_is_create,
            hooks::hooks_delete_instance_sequence_and_context,
            hooks::hooks_reload_sequence,
            hooks::hooks_hook_state_is_shared_within_one_operation,
            hooks::hooks_options_reach_every_hook,
            hooks::hooks_access_restricts_queries,
            hooks::hooks_access_restricts_writes_and_deletes,
            hooks::hooks_before_save_changes_instance,
            hooks::hooks_before_save_changes_data,
            hooks::hooks_persist_changes_stored_data_only,
            hooks::hooks_loaded_changes_results,
            hooks::hooks_after_save_changes_are_returned_not_stored,
            hooks::hooks_before_delete_changes_where,
            hooks::hooks_abort_before_save_writes_nothing,
            hooks::hooks_abort_persist_writes_nothing,
            hooks::hooks_abort_access_and_before_delete,
            hooks::hooks_observers_run_in_registration_order,
            hooks::hooks_base_model_observers_run_first,
            hooks::hooks_before_save_runs_before_validation,
            relations::rel_belongs_to_methods,
            relations::rel_add_and_remove,
            relations::rel_embedded_ids_follow_force_id_and_persistent,
            relations::rel_has_one_methods,
            relations::rel_has_many_methods,
            relations::rel_has_many_through_methods,
            relations::rel_has_and_belongs_to_many_methods,
            relations::rel_polymorphic_methods,
            relations::rel_embeds_one_methods,
            relations::rel_embeds_many_methods,
            relations::rel_references_many_methods,
            relations::rel_scope_and_properties,
            relations::rel_link_unknown_id_is_404_and_writes_nothing,
            relations::rel_update_by_id_refuses_foreign_key_change,
            include::include_belongs_to,
            include::include_has_many_and_has_one,
            include::include_has_many_through_and_habtm,
            include::include_polymorphic_and_embedded,
            include::include_string_array_and_object_forms,
            include::include_nested,
            include::include_scope_where_order_fields,
            include::include_scope_limit_and_skip_per_parent,
            include::include_scope_include,
            include::include_fields_keep_and_strip_keys,
            include::include_on_find_one_and_find_by_id,
            include::include_on_relation_queries,
            include::include_disable_include_is_skipped,
            include::include_unknown_relation_is_400,
            include::include_too_deep_is_400,
            include::include_repeated_relation_on_path_is_400,
            include::include_scope_with_bad_where_fails,
            include::include_query_count_belongs_to,
            include::include_query_count_has_many,
            include::include_query_count_has_many_through,
            include::include_query_count_nested,
            include::include_query_count_without_include,
            related_where::related_where_belongs_to,
            related_where::related_where_has_many_quantifiers,
            related_where::related_where_through_relations,
            related_where::related_where_nested_relations,
            related_where::related_where_combined_with_other_conditions,
            related_where::related_where_in_count_update_and_destroy,
            related_where::related_where_self_relation_writes,
            related_where::related_where_applies_scopes,
            related_where::related_where_polymorphic_has_many,
            related_where::related_where_in_include_scope_and_relation_queries,
            related_where::related_where_built_in_code,
            related_where::related_where_bad_inputs_are_400,
            related_where::related_where_query_count,
        );
    };
    (@cases $factory:expr; $($area:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                // A factory may return `Option<Fixture>`: `None` skips the case (a database
                // server that the environment does not name).
                let Some(fixture) =
                    $crate::conformance::IntoFixture::into_fixture(($factory)().await)
                else {
                    return;
                };
                $crate::conformance::$area::$case(fixture).await;
            }
        )*
    };
}
