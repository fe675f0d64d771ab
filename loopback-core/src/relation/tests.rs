//! Resolution of relation defaults, checked against juggler's `relation-definition.js`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::*;

fn defs(jsons: &[serde_json::Value]) -> HashMap<String, Arc<ModelDefinition>> {
    jsons
        .iter()
        .map(|j| {
            let mut d = ModelDefinition::from_lb3_json(j).unwrap();
            d.inject_id();
            (d.name.clone(), Arc::new(d))
        })
        .collect()
}

fn resolve_in(
    models: &HashMap<String, Arc<ModelDefinition>>,
    model: &str,
    rel: &str,
) -> Result<ResolvedRelation> {
    let src = &models[model];
    resolve(src, &src.relations[rel], &|n| models.get(n).cloned())
}

fn world() -> HashMap<String, Arc<ModelDefinition>> {
    defs(&[
        json!({"name": "Customer", "relations": {
            "orders": {"type": "hasMany", "model": "Order"},
            "reviews": {"type": "hasMany", "model": "Review", "foreignKey": "authorId"},
            "account": {"type": "hasOne", "model": "Account"},
            "address": {"type": "embedsOne", "model": "Address"},
            "emails": {"type": "embedsMany", "model": "EmailAddress", "property": "emailList"},
            "accounts": {"type": "referencesMany", "model": "Account"},
            "pictures": {"type": "hasMany", "model": "Picture", "polymorphic": "imageable"}
        }}),
        json!({"name": "Order", "relations": {
            "customer": {"type": "belongsTo", "model": "Customer", "foreignKey": ""}
        }}),
        json!({"name": "Review", "properties": {"authorId": "number"}}),
        json!({"name": "Account", "properties": {"code": {"type": "string", "id": true}}}),
        json!({"name": "Address", "properties": {"street": "string"}}),
        json!({"name": "EmailAddress", "plural": "EmailAddresses"}),
        json!({"name": "Picture", "relations": {
            "imageable": {"type": "belongsTo", "polymorphic": true}
        }}),
        json!({"name": "Physician", "relations": {
            "patients": {"type": "hasMany", "model": "Patient", "through": "Appointment"}
        }}),
        json!({"name": "Patient"}),
        json!({"name": "Appointment"}),
        json!({"name": "Assembly", "relations": {
            "parts": {"type": "hasAndBelongsToMany", "model": "Part"}
        }}),
        json!({"name": "Part"}),
        json!({"name": "PartAssembly"}),
    ])
}

#[test]
fn camelize_matches_inflection() {
    assert_eq!(camelize_lower("Customer_id"), "customerId");
    assert_eq!(camelize_lower("MyModel_id"), "myModelId");
    assert_eq!(camelize_lower("imageable_type"), "imageableType");
    assert_eq!(camelize_lower("Account_ids"), "accountIds");
}

#[test]
fn belongs_to_defaults_to_relation_name_id() {
    let m = world();
    let r = resolve_in(&m, "Order", "customer").unwrap();
    assert_eq!(
        (r.key_from.as_str(), r.key_to.as_str(), r.target.as_deref()),
        ("customerId", "id", Some("Customer"))
    );
    assert!(!r.multiple);
}

#[test]
fn has_many_and_has_one_default_to_source_name_id_on_the_target() {
    let m = world();
    let r = resolve_in(&m, "Customer", "orders").unwrap();
    assert_eq!(
        (r.key_from.as_str(), r.key_to.as_str()),
        ("id", "customerId")
    );
    assert!(r.multiple && r.through.is_none());
    let r = resolve_in(&m, "Customer", "reviews").unwrap();
    assert_eq!(r.key_to, "authorId");
    let r = resolve_in(&m, "Customer", "account").unwrap();
    assert_eq!((r.key_to.as_str(), r.multiple), ("customerId", false));
}

#[test]
fn through_relations_default_key_through_to_target_name_id() {
    let m = world();
    let r = resolve_in(&m, "Physician", "patients").unwrap();
    assert_eq!(r.key_to, "physicianId");
    let th = r.through.unwrap();
    assert_eq!(
        (th.model.as_str(), th.key_through.as_str()),
        ("Appointment", "patientId")
    );
}

#[test]
fn habtm_uses_an_existing_reversed_through_model() {
    let m = world();
    let r = resolve_in(&m, "Assembly", "parts").unwrap();
    assert_eq!(r.through.unwrap().model, "PartAssembly");
    assert_eq!(habtm_through_name("Book", "Tag", |_| false), "BookTag");
}

#[test]
fn habtm_without_a_through_model_is_an_error_until_it_exists() {
    let mut m = world();
    m.remove("PartAssembly");
    let err = resolve_in(&m, "Assembly", "parts").unwrap_err();
    assert!(err.to_string().contains("AssemblyPart"), "{err}");
}

#[test]
fn embedded_and_referenced_defaults() {
    let m = world();
    // LB3: property defaults to camelCase(target); equal to the relation name it gets a `_`.
    let r = resolve_in(&m, "Customer", "address").unwrap();
    assert_eq!(r.key_from, "_address");
    let r = resolve_in(&m, "Customer", "emails").unwrap();
    assert_eq!((r.key_from.as_str(), r.multiple), ("emailList", true));
    let r = resolve_in(&m, "Customer", "accounts").unwrap();
    assert_eq!(
        (r.key_from.as_str(), r.key_to.as_str()),
        ("accountIds", "code")
    );
}

#[test]
fn polymorphic_defaults() {
    let m = world();
    let r = resolve_in(&m, "Customer", "pictures").unwrap();
    let p = r.polymorphic.unwrap();
    assert_eq!(
        (
            p.selector.as_str(),
            p.foreign_key.as_str(),
            p.discriminator.as_str()
        ),
        ("imageable", "imageableId", "imageableType")
    );
    assert_eq!(r.key_to, "imageableId");
    let r = resolve_in(&m, "Picture", "imageable").unwrap();
    assert_eq!(r.target, None);
    assert_eq!(
        (r.key_from.as_str(), r.key_to.as_str()),
        ("imageableId", "id")
    );
}

#[test]
fn an_unknown_target_is_a_definition_error() {
    let m = defs(&[json!({"name": "A", "relations": {"b": {"type": "belongsTo", "model": "B"}}})]);
    let err = resolve_in(&m, "A", "b").unwrap_err();
    assert!(
        err.to_string().contains("`B`, which is not defined"),
        "{err}"
    );
}

#[test]
fn added_properties_follow_lb3() {
    let m = world();
    let added = |model: &str, rel: &str| -> Vec<(String, String, PropertyType)> {
        let src = &m[model];
        added_properties(src, &src.relations[rel], &|n| m.get(n).cloned())
            .into_iter()
            .map(|a| (a.model, a.property.name, a.property.ty))
            .collect()
    };
    assert_eq!(
        added("Order", "customer"),
        [("Order".into(), "customerId".into(), PropertyType::Number)]
    );
    assert_eq!(
        added("Customer", "orders"),
        [("Order".into(), "customerId".into(), PropertyType::Number)]
    );
    assert_eq!(
        added("Customer", "accounts"),
        [(
            "Customer".into(),
            "accountIds".into(),
            PropertyType::Array(Box::new(PropertyType::String))
        )]
    );
    assert_eq!(
        added("Customer", "pictures"),
        [
            ("Picture".into(), "imageableId".into(), PropertyType::Number),
            (
                "Picture".into(),
                "imageableType".into(),
                PropertyType::String
            )
        ]
    );
    assert_eq!(
        added("Physician", "patients"),
        [
            (
                "Appointment".into(),
                "physicianId".into(),
                PropertyType::Number
            ),
            (
                "Appointment".into(),
                "patientId".into(),
                PropertyType::Number
            )
        ]
    );
}
