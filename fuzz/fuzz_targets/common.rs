//! A model with one property of each coercible type, shared by the targets.

use std::sync::OnceLock;

use loopback_core::{Filter, ModelDefinition, ParseOptions, Where};

pub fn model() -> &'static ModelDefinition {
    static MODEL: OnceLock<ModelDefinition> = OnceLock::new();
    MODEL.get_or_init(|| {
        ModelDefinition::from_lb3_str(
            r#"{"name": "Car", "hidden": ["password"], "properties": {
                "id": {"type": "number", "id": true}, "odo": "number", "active": "boolean",
                "date": "date", "title": "string", "tags": ["string"], "scores": ["number"],
                "days": ["date"], "loc": "geopoint", "meta": "object", "password": "string",
                "a": "number", "b": "date"
            }}"#,
        )
        .expect("valid model")
    })
}

/// Whatever parses must print to JSON that parses back to the same AST.
pub fn check_filter(f: &Filter, opts: &ParseOptions<'_>) {
    let printed = f.to_json();
    match Filter::from_json(&printed, opts) {
        Ok(again) => assert_eq!(&again, f, "printed as {printed}"),
        Err(e) => panic!("{printed} does not parse back: {e}"),
    }
}

pub fn check_where(w: &Where, opts: &ParseOptions<'_>) {
    let printed = w.to_json();
    match Where::from_json(&printed, opts) {
        Ok(again) => assert_eq!(&again, w, "printed as {printed}"),
        Err(e) => panic!("{printed} does not parse back: {e}"),
    }
}
