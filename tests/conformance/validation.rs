//! Validations: every rule, custom validators, uniqueness against the data source, and the LB3
//! error shape (juggler validations suite). Codes, messages and message texts were observed on
//! juggler 3.36.

use std::time::Duration;

use loopback::{Value, Where};
use serde_json::json;

use super::*;

fn with_rules(props: serde_json::Value, rules: serde_json::Value) -> serde_json::Value {
    json!({"name": "Account", "properties": props, "validations": rules})
}

pub async fn valid_required_property(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    for bad in [
        json!({"qty": 1}),
        json!({"name": ""}),
        json!({"name": null}),
    ] {
        let err = m.create(rec(bad.clone()), &opts()).await.unwrap_err();
        assert_eq!(err.status(), 422, "{bad}");
        assert_eq!(codes(&err), json!({"name": ["presence"]}), "{bad}");
        assert_eq!(messages(&err), json!({"name": ["can't be blank"]}), "{bad}");
    }
    let err = m.create(rec(json!({"qty": 1})), &opts()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "The `Product` instance is not valid. Details: `name` can't be blank (value: undefined)."
    );
    assert_eq!(count(&m).await, 0);
}

pub async fn valid_presence_rule(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"title": "string", "tags": ["string"]}),
            json!([{"property": "title", "validation": "presence"}, {"property": "tags", "validation": "presence"}]),
        ))
        .await;
    let err = m.create(rec(json!({})), &opts()).await.unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"title": ["presence"], "tags": ["presence"]})
    );
    let err = m
        .create(rec(json!({"title": "t", "tags": []})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"tags": ["presence"]}),
        "an empty array is blank"
    );
    assert_eq!(
        err.to_string(),
        "The `Account` instance is not valid. Details: `tags` can't be blank (value: [])."
    );
    m.create(rec(json!({"title": "t", "tags": ["a"]})), &opts())
        .await
        .unwrap();
}

pub async fn valid_absence_rule(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"nick": "string"}),
            json!([{"property": "nick", "validation": "absence"}]),
        ))
        .await;
    let err = m
        .create(rec(json!({"nick": "x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"nick": ["absence"]}));
    assert_eq!(messages(&err), json!({"nick": ["can't be set"]}));
    m.create(rec(json!({"nick": ""})), &opts()).await.unwrap();
    m.create(rec(json!({"nick": null})), &opts()).await.unwrap();
    m.create(rec(json!({})), &opts()).await.unwrap();
    assert_eq!(count(&m).await, 3);
}

pub async fn valid_length_default_messages(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"pw": "string", "code": "string", "nick": "string"}),
            json!([
                {"property": "pw", "validation": "length", "min": 5},
                {"property": "code", "validation": "length", "is": 3},
                {"property": "nick", "validation": "length", "max": 4}
            ]),
        ))
        .await;
    let err = m
        .create(
            rec(json!({"pw": "abc", "code": "ab", "nick": "toolong"})),
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"pw": ["length.min"], "code": ["length.is"], "nick": ["length.max"]})
    );
    assert_eq!(
        messages(&err),
        json!({"pw": ["too short"], "code": ["length is wrong"], "nick": ["too long"]})
    );
    m.create(
        rec(json!({"pw": "secret", "code": "abc", "nick": "ok"})),
        &opts(),
    )
    .await
    .unwrap();
    m.create(
        rec(json!({"pw": "12345", "code": "xyz", "nick": "four"})),
        &opts(),
    )
    .await
    .unwrap();
}

pub async fn valid_length_custom_messages(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"pw": "string", "pin": "string"}),
            json!([
                {"property": "pw", "validation": "length", "min": 5, "max": 8,
                 "message": {"min": "Password is too short", "max": "Password is too long"}},
                {"property": "pin", "validation": "length", "is": 4, "message": "PIN must have 4 digits"}
            ]),
        ))
        .await;
    let err = m
        .create(rec(json!({"pw": "abc", "pin": "1234"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(messages(&err), json!({"pw": ["Password is too short"]}));
    let err = m
        .create(rec(json!({"pw": "abcdefghi", "pin": "1234"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(messages(&err), json!({"pw": ["Password is too long"]}));
    // LB3 ignores a plain-string message for length (it reports "is invalid"); it is used here.
    let err = m
        .create(rec(json!({"pw": "abcdef", "pin": "123"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"pin": ["length.is"]}));
    assert_eq!(messages(&err), json!({"pin": ["PIN must have 4 digits"]}));
}

pub async fn valid_length_blank_and_null(fx: Fixture) {
    // LB3's pre-check: a missing or empty value is `<rule>.blank` ("is blank"), null is
    // `<rule>.null` ("is null"), even with a custom message.
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"nick": "string"}),
            json!([{"property": "nick", "validation": "length", "min": 2, "message": "nick!"}]),
        ))
        .await;
    let err = m.create(rec(json!({})), &opts()).await.unwrap_err();
    assert_eq!(codes(&err), json!({"nick": ["length.blank"]}));
    assert_eq!(messages(&err), json!({"nick": ["is blank"]}));
    let err = m
        .create(rec(json!({"nick": ""})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"nick": ["length.blank"]}));
    let err = m
        .create(rec(json!({"nick": null})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"nick": ["length.null"]}));
    assert_eq!(messages(&err), json!({"nick": ["is null"]}));
    assert_eq!(
        err.to_string(),
        "The `Account` instance is not valid. Details: `nick` is null (value: null)."
    );
}

pub async fn valid_allow_null_and_allow_blank(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"a": "string", "b": "string"}),
            json!([
                {"property": "a", "validation": "length", "max": 3, "allowNull": true},
                {"property": "b", "validation": "length", "max": 3, "allowBlank": true}
            ]),
        ))
        .await;
    m.create(rec(json!({"a": null, "b": ""})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"a": null})), &opts()).await.unwrap();
    // allowNull does not cover a missing value, and allowBlank does not cover null (LB3).
    let err = m.create(rec(json!({"b": "x"})), &opts()).await.unwrap_err();
    assert_eq!(codes(&err), json!({"a": ["length.blank"]}));
    let err = m
        .create(rec(json!({"a": "x", "b": null})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"b": ["length.null"]}));
    let err = m
        .create(rec(json!({"a": "long", "b": "long"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"a": ["length.max"], "b": ["length.max"]})
    );
    assert_eq!(count(&m).await, 2);
}

pub async fn valid_format(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"email": "string", "slug": "string"}),
            json!([
                {"property": "email", "validation": "format", "with": "^\\S+@\\S+$"},
                {"property": "slug", "validation": "format", "without": "\\s", "allowBlank": true}
            ]),
        ))
        .await;
    let err = m
        .create(rec(json!({"email": "nope", "slug": "a b"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"email": ["format"], "slug": ["format"]})
    );
    assert_eq!(
        messages(&err),
        json!({"email": ["is invalid"], "slug": ["is invalid"]})
    );
    m.create(rec(json!({"email": "a@b.c", "slug": "a-b"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"email": "x@y"})), &opts())
        .await
        .unwrap();
}

pub async fn valid_numericality(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"n": "any", "age": "number"}),
            json!([
                {"property": "n", "validation": "numericality", "allowNull": true},
                {"property": "age", "validation": "numericality", "int": true, "allowBlank": true}
            ]),
        ))
        .await;
    let err = m
        .create(rec(json!({"n": "abc", "age": 3.5})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"n": ["numericality.number"], "age": ["numericality.int"]})
    );
    assert_eq!(
        messages(&err),
        json!({"n": ["is not a number"], "age": ["is not an integer"]})
    );
    m.create(rec(json!({"n": 1.5, "age": 30})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"n": null, "age": "31"})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"n": true})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"n": ["numericality.number"]}));
}

pub async fn valid_inclusion_and_exclusion(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"gender": "string", "domain": "string"}),
            json!([
                {"property": "gender", "validation": "inclusion", "in": ["male", "female"]},
                {"property": "domain", "validation": "exclusion", "in": ["www", "billing", "admin"]}
            ]),
        ))
        .await;
    let err = m
        .create(rec(json!({"gender": "x", "domain": "www"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"gender": ["inclusion"], "domain": ["exclusion"]})
    );
    assert_eq!(
        messages(&err),
        json!({"gender": ["is not included in the list"], "domain": ["is reserved"]})
    );
    m.create(rec(json!({"gender": "female", "domain": "shop"})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"gender": "male"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"domain": ["exclusion.blank"]}));
}

fn unique_json(rule: serde_json::Value) -> serde_json::Value {
    with_rules(
        json!({"email": "string", "org": "string", "note": "string"}),
        json!([rule]),
    )
}

pub async fn valid_uniqueness(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(unique_json(
            json!({"property": "email", "validation": "uniqueness"}),
        ))
        .await;
    m.create(rec(json!({"email": "a@x"})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"email": "a@x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"email": ["uniqueness"]}));
    assert_eq!(messages(&err), json!({"email": ["is not unique"]}));
    assert_eq!(
        err.to_string(),
        "The `Account` instance is not valid. Details: `email` is not unique (value: \"a@x\")."
    );
    m.create(rec(json!({"email": "b@x"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"email": "A@x"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"note": "no email"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"note": "no email either"})), &opts())
        .await
        .unwrap();
    assert_eq!(count(&m).await, 5);
}

pub async fn valid_uniqueness_on_update(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(unique_json(
            json!({"property": "email", "validation": "uniqueness"}),
        ))
        .await;
    let a = m
        .create(rec(json!({"email": "a@x"})), &opts())
        .await
        .unwrap();
    let b = m
        .create(rec(json!({"email": "b@x"})), &opts())
        .await
        .unwrap();
    m.patch_attributes(
        &a,
        rec(json!({"email": "a@x", "note": "same email"})),
        &opts(),
    )
    .await
    .unwrap();
    let mut a2 = stored(&m, id_of(&a)).await.unwrap();
    a2.insert("note", "saved");
    m.save(a2, &opts()).await.unwrap();
    let err = m
        .patch_attributes(&b, rec(json!({"email": "a@x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"email": ["uniqueness"]}));
    let err = m
        .replace_by_id(Value::Int(id_of(&b)), rec(json!({"email": "a@x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"email": ["uniqueness"]}));
    assert_eq!(
        stored(&m, id_of(&b)).await.unwrap().get("email"),
        Some(&Value::from("b@x"))
    );
}

pub async fn valid_uniqueness_scoped_to(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(unique_json(
            json!({"property": "email", "validation": "uniqueness", "scopedTo": ["org"]}),
        ))
        .await;
    m.create(rec(json!({"email": "a@x", "org": "o1"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"email": "a@x", "org": "o2"})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"email": "a@x", "org": "o1"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"email": ["uniqueness"]}));
    assert_eq!(count(&m).await, 2);
}

pub async fn valid_uniqueness_ignore_case(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(unique_json(json!({
            "property": "email", "validation": "uniqueness", "scopedTo": ["org"], "ignoreCase": true,
            "message": "email is not unique"
        })))
        .await;
    m.create(rec(json!({"email": "A.b@x", "org": "o1"})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"email": "a.B@X", "org": "o1"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"email": ["uniqueness"]}));
    assert_eq!(messages(&err), json!({"email": ["email is not unique"]}));
    // The value is matched literally: `.` is not a wildcard.
    m.create(rec(json!({"email": "aXb@x", "org": "o1"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"email": "a.b@x", "org": "o2"})), &opts())
        .await
        .unwrap();
    assert_eq!(count(&m).await, 3);
}

pub async fn valid_custom_sync_validator(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"n": "number"}),
            json!([
                {"property": "n", "validation": "custom", "name": "small", "message": "too big"},
                {"property": "n", "validation": "custom", "name": "notThirteen"}
            ]),
        ))
        .await;
    m.add_validator("small", |r| {
        r.get("n").and_then(Value::as_i64).map_or(true, |n| n <= 10)
    });
    m.add_validator("notThirteen", |r| {
        r.get("n").and_then(Value::as_i64) != Some(13)
    });
    let err = m.create(rec(json!({"n": 11})), &opts()).await.unwrap_err();
    assert_eq!(codes(&err), json!({"n": ["custom"]}));
    assert_eq!(messages(&err), json!({"n": ["too big"]}));
    assert_eq!(
        err.to_string(),
        "The `Account` instance is not valid. Details: `n` too big (value: 11)."
    );
    let err = m.create(rec(json!({"n": 13})), &opts()).await.unwrap_err();
    assert_eq!(codes(&err), json!({"n": ["custom", "custom"]}));
    assert_eq!(messages(&err), json!({"n": ["too big", "is invalid"]}));
    m.create(rec(json!({"n": 1})), &opts()).await.unwrap();
    assert_eq!(count(&m).await, 1);
}

pub async fn valid_custom_async_validator(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"n": "number", "tag": "string"}),
            json!([
                {"property": "n", "validation": "custom", "name": "notSeven", "message": "async no"},
                {"property": "tag", "validation": "custom", "name": "tagQuota", "message": "tag is full"}
            ]),
        ))
        .await;
    m.add_async_validator("notSeven", |r| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(r.get("n").and_then(Value::as_i64) != Some(7))
    });
    // A validator that asks the data source: at most two records per tag.
    let handle = m.clone();
    m.add_async_validator("tagQuota", move |r| {
        let handle = handle.clone();
        async move {
            let Some(tag) = r.get("tag").cloned() else {
                return Ok(true);
            };
            Ok(handle.count(Some(Where::eq("tag", tag)), &opts()).await? < 2)
        }
    });
    let err = m.create(rec(json!({"n": 7})), &opts()).await.unwrap_err();
    assert_eq!(codes(&err), json!({"n": ["custom"]}));
    assert_eq!(messages(&err), json!({"n": ["async no"]}));
    m.create(rec(json!({"n": 1, "tag": "t"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"n": 2, "tag": "t"})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"n": 3, "tag": "t"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(messages(&err), json!({"tag": ["tag is full"]}));
    assert_eq!(count(&m).await, 2);
}

pub async fn valid_error_shape(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let err = m.create(rec(json!({"qty": 1})), &opts()).await.unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.name(), "ValidationError");
    assert_eq!(err.code(), None);
    let v = validation(&err);
    assert_eq!(v.model, "Product");
    assert_eq!(
        v.details(),
        json!({"context": "Product", "codes": {"name": ["presence"]}, "messages": {"name": ["can't be blank"]}})
    );
}

pub async fn valid_message_lists_every_failure(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({
            "name": "U",
            "properties": {"name": {"type": "string", "required": true}, "pw": "string", "code": "string", "nick": "string",
                           "age": "number", "gender": "string", "domain": "string", "email": "string"},
            "validations": [
                {"property": "pw", "validation": "length", "min": 5, "message": {"min": "Password is too short"}},
                {"property": "code", "validation": "length", "is": 3},
                {"property": "nick", "validation": "length", "max": 4},
                {"property": "age", "validation": "numericality", "int": true},
                {"property": "gender", "validation": "inclusion", "in": ["male", "female"]},
                {"property": "domain", "validation": "exclusion", "in": ["www", "admin"]},
                {"property": "email", "validation": "format", "with": "^\\S+@\\S+$"}
            ]
        }))
        .await;
    let err = m
        .create(rec(json!({"pw": "abc", "code": "ab", "nick": "toolong", "age": 3.5, "gender": "x", "domain": "www", "email": "nope"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The `U` instance is not valid. Details: `name` can't be blank (value: undefined); \
         `pw` Password is too short (value: \"abc\"); `code` length is wrong (value: \"ab\"); \
         `nick` too long (value: \"toolong\"); `age` is not an integer (value: 3.5); \
         `gender` is not included in the list (value: \"x\"); `domain` is reserved (value: \"www\"); \
         `email` is invalid (value: \"nope\")."
    );
    assert_eq!(
        codes(&err),
        json!({"name": ["presence"], "pw": ["length.min"], "code": ["length.is"], "nick": ["length.max"],
               "age": ["numericality.int"], "gender": ["inclusion"], "domain": ["exclusion"], "email": ["format"]})
    );
}

pub async fn valid_long_values_are_truncated_in_message(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"gender": "string"}),
            json!([{"property": "gender", "validation": "inclusion", "in": ["male", "female"]}]),
        ))
        .await;
    let err = m
        .create(
            rec(json!({"gender": "abcdefghijklmnopqrstuvwxyz0123456789"})),
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The `Account` instance is not valid. Details: `gender` is not included in the list (value: \"abcdefghijklmnopqrstuvwxy...789\")."
    );
}

pub async fn valid_code_override(fx: Fixture) {
    // LB3 appends the failure kind to a custom code: `NUM.int`, `NUM.blank`; kinds-less rules
    // report the code as given.
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"n": "number", "title": "string"}),
            json!([
                {"property": "n", "validation": "numericality", "int": true, "code": "NUM"},
                {"property": "title", "validation": "presence", "code": "REQUIRED", "message": "title please"}
            ]),
        ))
        .await;
    let err = m.create(rec(json!({"n": 1.5})), &opts()).await.unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"n": ["NUM.int"], "title": ["REQUIRED"]})
    );
    assert_eq!(messages(&err)["title"], json!(["title please"]));
    let err = m
        .create(rec(json!({"title": "t"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"n": ["NUM.blank"]}));
}

pub async fn valid_conditional_if_unless(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(with_rules(
            json!({"a": "string", "b": "boolean", "c": "string", "d": "boolean"}),
            json!([
                {"property": "a", "validation": "presence", "if": "b"},
                {"property": "c", "validation": "presence", "unless": "d"}
            ]),
        ))
        .await;
    let err = m
        .create(rec(json!({"b": true, "d": true})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"a": ["presence"]}));
    let err = m
        .create(rec(json!({"b": false, "d": false})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"c": ["presence"]}));
    m.create(rec(json!({"b": false, "d": true})), &opts())
        .await
        .unwrap();
    m.create(
        rec(json!({"a": "x", "b": true, "c": "y", "d": false})),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(count(&m).await, 2);
}

pub async fn valid_runs_on_patch_replace_and_save(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .patch_by_id(Value::Int(1), rec(json!({"name": ""})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    let inst = stored(&m, 2).await.unwrap();
    let err = m
        .patch_attributes(&inst, rec(json!({"name": null})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    let err = m
        .replace_by_id(Value::Int(3), rec(json!({"qty": 1})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    let mut inst = stored(&m, 4).await.unwrap();
    inst.remove("name");
    let err = m.save(inst, &opts()).await.unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    assert_eq!(
        names(&all(&m).await),
        ["alpha", "beta", "gamma", "delta", "epsilon"]
    );
}

pub async fn valid_not_run_by_update_all(fx: Fixture) {
    // LB3's updateAll validates only with `validateUpdate`; coercion still applies.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        m.update_all(Some(Where::eq("id", 1)), rec(json!({"name": ""})), &opts())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        stored(&m, 1).await.unwrap().get("name"),
        Some(&Value::from(""))
    );
}

pub async fn valid_failure_writes_nothing(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert!(m.create(rec(json!({"qty": 9})), &opts()).await.is_err());
    assert!(m.upsert(rec(json!({"qty": 9})), &opts()).await.is_err());
    assert!(m
        .find_or_create(
            loopback::Filter::with_where(Where::eq("qty", 9)),
            rec(json!({"qty": 9})),
            &opts()
        )
        .await
        .is_err());
    assert!(m
        .upsert_with_where(Some(Where::eq("qty", 9)), rec(json!({"qty": 9})), &opts())
        .await
        .is_err());
    assert_eq!(count(&m).await, 5);
    assert_eq!(
        m.count(Some(Where::eq("qty", 9)), &opts()).await.unwrap(),
        0
    );
}

pub async fn valid_base_model_rules_are_inherited(fx: Fixture) {
    let env = Env::new(fx);
    env.define(json!({
        "name": "Person",
        "properties": {"email": {"type": "string", "required": true}},
        "validations": [{"property": "email", "validation": "format", "with": "@"}]
    }))
    .await;
    let m = env
        .define(json!({
            "name": "Customer", "base": "Person",
            "properties": {"tier": "string"},
            "validations": [{"property": "tier", "validation": "inclusion", "in": ["gold", "silver"]}]
        }))
        .await;
    let err = m
        .create(rec(json!({"email": "nope", "tier": "bronze"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"email": ["format"], "tier": ["inclusion"]})
    );
    let err = m
        .create(rec(json!({"tier": "gold"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"email": ["presence", "format.blank"]}));
    m.create(rec(json!({"email": "a@b", "tier": "gold"})), &opts())
        .await
        .unwrap();
}
