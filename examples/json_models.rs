//! LoopBack 3 model JSON, used as is: define models from JSON, write and query them by name.
//!
//! Run with `cargo run --example json_models`.

use loopback::{record, App, Filter, HookKind, ModelDefinition, Options, ParseOptions, Value};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), loopback::Error> {
    let app = App::new();
    app.data_source("db", loopback::connectors::memory());

    // The contents of common/models/customer.json in an LB3 application.
    let customer = ModelDefinition::from_lb3_json(&json!({
        "name": "Customer",
        "base": "PersistedModel",
        "strict": true,
        "options": {"validateUpsert": true},
        "properties": {
            "name": {"type": "string", "required": true},
            "email": {"type": "string", "required": true, "index": {"unique": true}},
            "tier": {"type": "string", "default": "basic"},
            "joined": {"type": "date", "default": "$now"},
            "apiKey": {"type": "string", "defaultFn": "uuidv4"}
        },
        "hidden": ["apiKey"],
        "validations": [
            {"property": "email", "validation": "format", "with": "^[^@\\s]+@[^@\\s]+$", "message": "Must provide a valid email"},
            {"property": "email", "validation": "uniqueness", "message": "Email already exists"},
            {"property": "tier", "validation": "inclusion", "in": ["basic", "gold"]}
        ],
        "relations": {},
        "acls": [],
        "methods": {}
    }))?;
    let customers = app.define(customer, "db").await?;

    customers.observe(HookKind::BeforeSave, |mut ctx| async move {
        // Normalise emails whatever the operation carries: a full instance or partial data.
        let target = ctx.instance.as_mut().or(ctx.data.as_mut());
        if let Some(Value::String(e)) = target.and_then(|r| r.get_mut("email")) {
            *e = e.to_lowercase();
        }
        Ok(ctx)
    });

    let opts = Options::default();
    for (name, email, tier) in [
        ("Ada", "ADA@example.com", "gold"),
        ("Grace", "grace@example.com", "basic"),
        ("Linus", "linus@example.com", "gold"),
    ] {
        let c = customers
            .create(
                record! {"name" => name, "email" => email, "tier" => tier},
                &opts,
            )
            .await?;
        println!(
            "created {}",
            loopback::data::to_public_json(&customers.definition(), &c, false)
        );
    }

    let filter = Filter::from_json(
        &json!({"where": {"tier": "gold"}, "order": "name DESC", "fields": {"name": true, "email": true}}),
        &ParseOptions::for_model(&customers.definition()),
    )?;
    println!(
        "gold customers: {:?}",
        customers
            .find(filter, &opts)
            .await?
            .iter()
            .map(|r| r.to_json())
            .collect::<Vec<_>>()
    );

    match customers
        .create(
            record! {"name" => "Eve", "email" => "ada@EXAMPLE.com", "tier" => "platinum"},
            &opts,
        )
        .await
    {
        Err(e) => println!("rejected ({}): {}", e.status(), e),
        Ok(_) => println!("unexpectedly accepted"),
    }
    println!(
        "LB3 JSON round trip:\n{}",
        serde_json::to_string_pretty(&customers.definition().to_lb3_json()).unwrap_or_default()
    );
    Ok(())
}
