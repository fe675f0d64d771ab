//! Relation methods, after juggler's relations.test.js: every relation kind (belongsTo, hasOne,
//! hasMany, hasManyThrough, hasAndBelongsToMany, the polymorphic forms, embedsOne, embedsMany,
//! referencesMany) and each method LB3 gives it, through [`loopback::Related`]
//! (`ModelHandle::related(&instance, "rel")`).
//!
//! Models come from LB3 JSON and are defined together with [`Env::define_all`], so the foreign
//! keys that relations add (and implicit through models) exist before SQL tables are created.

use std::fmt::Debug;

use loopback::{Direction, Error, Filter, ModelHandle, Record, Result, Value};
use serde_json::json;

use super::*;

/// An integer or string id as a [`Value`].
fn v(j: serde_json::Value) -> Value {
    Value::from(j)
}

/// Ordered by id, for relation queries whose natural order is unspecified.
fn by_id() -> Filter {
    Filter::new().order_by("id", Direction::Asc)
}

/// The stored record `id` as JSON without nulls; fails when it is absent.
async fn stored_json(m: &ModelHandle, id: i64) -> serde_json::Value {
    deep_json(
        &stored(m, id)
            .await
            .unwrap_or_else(|| panic!("{} {id} is stored", m.name())),
    )
}

/// Every stored record, ordered by id, as JSON without nulls.
async fn all_json(m: &ModelHandle) -> serde_json::Value {
    rows_json(&all(m).await)
}

/// Asserts that `r` failed with `status` and `message`, and returns the error.
fn fails<T: Debug>(r: Result<T>, status: u16, message: &str) -> Error {
    let e = r.expect_err("the call fails");
    assert_eq!(e.status(), status, "status of {e:?}");
    assert_eq!(e.to_string(), message, "message of {e:?}");
    e
}

fn opt_json(r: Option<Record>) -> serde_json::Value {
    r.as_ref().map_or(serde_json::Value::Null, deep_json)
}

/// The property names of a model definition, in order.
fn property_names(m: &ModelHandle) -> Vec<String> {
    m.definition().properties.keys().cloned().collect()
}

// ----- belongsTo -----------------------------------------------------------------------------

pub async fn rel_belongs_to_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Customer", "properties": {"name": "string"}}),
            json!({"name": "Order", "properties": {"description": "string", "total": "number"},
                "relations": {"customer": {"type": "belongsTo", "model": "Customer",
                                           "foreignKey": ""}}}),
        ])
        .await;
    let (customer, order) = (&ms[0], &ms[1]);
    // An empty foreignKey means the default: relation name + `Id`, added to the declaring model.
    assert_eq!(
        property_names(order),
        ["id", "description", "total", "customerId"]
    );
    assert_eq!(property_names(customer), ["id", "name"]);

    seed(customer, &[r#"{"name": "ann"}"#]).await;
    let o = seed(
        order,
        &[
            r#"{"description": "o1", "total": 10, "customerId": 1}"#,
            r#"{"description": "o2", "total": 20}"#,
        ],
    )
    .await;

    let r1 = order.related(&o[0], "customer").unwrap();
    assert_eq!(
        opt_json(r1.get(&opts()).await.unwrap()),
        json!({"id": 1, "name": "ann"})
    );
    assert_eq!(
        rows_json(&r1.find(Filter::new(), &opts()).await.unwrap()),
        json!([{"id": 1, "name": "ann"}])
    );
    assert_eq!(r1.count(None, &opts()).await.unwrap(), 1);

    // No foreign key: nothing related.
    let mut r2 = order.related(&o[1], "customer").unwrap();
    assert_eq!(r2.get(&opts()).await.unwrap(), None);
    assert!(r2.find(Filter::new(), &opts()).await.unwrap().is_empty());

    // create: the target is created and the owner points at it.
    let created = r2
        .create(rec(json!({"name": "bob"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&created), json!({"id": 2, "name": "bob"}));
    assert_eq!(r2.instance().get("customerId"), Some(&Value::Int(2)));
    assert_eq!(
        stored_json(order, 2).await,
        json!({"id": 2, "description": "o2", "total": 20, "customerId": 2})
    );
    assert_eq!(
        opt_json(r2.get(&opts()).await.unwrap()),
        json!({"id": 2, "name": "bob"})
    );

    // update: patches the target; its id cannot change.
    let updated = r2
        .update(rec(json!({"name": "bobby"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&updated), json!({"id": 2, "name": "bobby"}));
    fails(
        r2.update(rec(json!({"id": 7})), &opts()).await,
        400,
        "Cannot override foreign key id",
    );
    assert_eq!(
        all_json(customer).await,
        json!([{"id": 1, "name": "ann"}, {"id": 2, "name": "bobby"}])
    );

    // destroy: deletes the target and clears the owner's foreign key.
    r2.destroy(&opts()).await.unwrap();
    assert_eq!(all_json(customer).await, json!([{"id": 1, "name": "ann"}]));
    assert_eq!(
        stored_json(order, 2).await,
        json!({"id": 2, "description": "o2", "total": 20})
    );
    assert_eq!(r2.instance().get("customerId"), Some(&Value::Null));
    assert_eq!(r2.get(&opts()).await.unwrap(), None);
    // The first order still has its customer.
    assert_eq!(
        opt_json(r1.get(&opts()).await.unwrap()),
        json!({"id": 1, "name": "ann"})
    );
}

// ----- hasOne --------------------------------------------------------------------------------

pub async fn rel_has_one_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Supplier", "properties": {"name": "string"},
                "relations": {"account": {"type": "hasOne", "model": "Account"}}}),
            json!({"name": "Account", "properties": {"acctmgr": "string", "balance": "number"}}),
        ])
        .await;
    let (supplier, account) = (&ms[0], &ms[1]);
    // The foreign key (source model name + `Id`) is added to the target.
    assert_eq!(
        property_names(account),
        ["id", "acctmgr", "balance", "supplierId"]
    );
    let s = seed(supplier, &[r#"{"name": "s1"}"#, r#"{"name": "s2"}"#]).await;

    let mut r = supplier.related(&s[0], "account").unwrap();
    assert_eq!(r.get(&opts()).await.unwrap(), None);

    // build: the foreign key is set, nothing is stored.
    let built = r.build(rec(json!({"acctmgr": "x"}))).unwrap();
    assert_eq!(deep_json(&built), json!({"acctmgr": "x", "supplierId": 1}));
    assert_eq!(count(account).await, 0);

    // A foreign key naming another owner is refused.
    fails(
        r.create(rec(json!({"acctmgr": "x", "supplierId": 2})), &opts())
            .await,
        400,
        "Cannot override foreign key supplierId",
    );
    assert_eq!(count(account).await, 0);

    let created = r
        .create(rec(json!({"acctmgr": "ann", "balance": 10})), &opts())
        .await
        .unwrap();
    let expected = json!({"id": 1, "acctmgr": "ann", "balance": 10, "supplierId": 1});
    assert_eq!(deep_json(&created), expected);

    // A second create is refused.
    fails(
        r.create(rec(json!({"acctmgr": "again"})), &opts()).await,
        400,
        "HasOne relation cannot create more than one instance of Account",
    );
    assert_eq!(count(account).await, 1);

    assert_eq!(opt_json(r.get(&opts()).await.unwrap()), expected);
    assert_eq!(
        rows_json(&r.find(Filter::new(), &opts()).await.unwrap()),
        json!([expected])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 1);
    // The other supplier has none.
    let r2 = supplier.related(&s[1], "account").unwrap();
    assert_eq!(r2.get(&opts()).await.unwrap(), None);
    assert_eq!(r2.count(None, &opts()).await.unwrap(), 0);

    // update patches; moving the account to another supplier is refused.
    let updated = r
        .update(rec(json!({"balance": 100})), &opts())
        .await
        .unwrap();
    let expected = json!({"id": 1, "acctmgr": "ann", "balance": 100, "supplierId": 1});
    assert_eq!(deep_json(&updated), expected);
    fails(
        r.update(rec(json!({"supplierId": 2, "balance": 0})), &opts())
            .await,
        400,
        "Cannot override foreign key supplierId",
    );
    assert_eq!(stored_json(account, 1).await, expected);

    r.destroy(&opts()).await.unwrap();
    assert_eq!(count(account).await, 0);
    assert_eq!(r.get(&opts()).await.unwrap(), None);
    // The supplier stays.
    assert_eq!(count(supplier).await, 2);
}

// ----- hasMany -------------------------------------------------------------------------------

fn customer_orders() -> Vec<serde_json::Value> {
    vec![
        json!({"name": "Customer", "properties": {"name": "string"},
            "relations": {"orders": {"type": "hasMany", "model": "Order"}}}),
        json!({"name": "Order", "properties": {"description": "string", "total": "number"}}),
    ]
}

pub async fn rel_has_many_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env.define_all(customer_orders()).await;
    let (customer, order) = (&ms[0], &ms[1]);
    assert_eq!(
        property_names(order),
        ["id", "description", "total", "customerId"]
    );
    let c = seed(customer, &[r#"{"name": "ann"}"#, r#"{"name": "bob"}"#]).await;
    let mut r1 = customer.related(&c[0], "orders").unwrap();
    let mut r2 = customer.related(&c[1], "orders").unwrap();

    let created = r1
        .create_many(
            vec![
                rec(json!({"description": "o1", "total": 10})),
                rec(json!({"description": "o2", "total": 20})),
                rec(json!({"description": "o3", "total": 30})),
            ],
            &opts(),
        )
        .await
        .unwrap();
    let o1 = json!({"id": 1, "description": "o1", "total": 10, "customerId": 1});
    let o2 = json!({"id": 2, "description": "o2", "total": 20, "customerId": 1});
    let o3 = json!({"id": 3, "description": "o3", "total": 30, "customerId": 1});
    let o4 = json!({"id": 4, "description": "o4", "total": 40, "customerId": 2});
    assert_eq!(rows_json(&created), json!([o1, o2, o3]));
    let created = r2
        .create(rec(json!({"description": "o4", "total": 40})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&created), o4);

    // find, with and without a filter.
    assert_eq!(
        rows_json(&r1.find(by_id(), &opts()).await.unwrap()),
        json!([o1, o2, o3])
    );
    assert_eq!(
        rows_json(
            &r1.find(
                filter(
                    order,
                    json!({"where": {"total": {"gt": 15}}, "order": "total DESC"})
                ),
                &opts()
            )
            .await
            .unwrap()
        ),
        json!([o3, o2])
    );
    // The relation restriction wins over a where on the foreign key.
    assert!(r1
        .find(filter(order, json!({"where": {"customerId": 2}})), &opts())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        rows_json(&r2.find(by_id(), &opts()).await.unwrap()),
        json!([o4])
    );

    // count
    assert_eq!(r1.count(None, &opts()).await.unwrap(), 3);
    assert_eq!(
        r1.count(Some(where_(order, json!({"total": {"gt": 15}}))), &opts())
            .await
            .unwrap(),
        2
    );
    assert_eq!(r2.count(None, &opts()).await.unwrap(), 1);

    // findById: only related instances; string ids are coerced.
    assert_eq!(
        deep_json(&r1.find_by_id(Value::Int(2), &opts()).await.unwrap()),
        o2
    );
    assert_eq!(
        deep_json(&r1.find_by_id(v(json!("2")), &opts()).await.unwrap()),
        o2
    );
    fails(
        r1.find_by_id(Value::Int(4), &opts()).await,
        404,
        r#"Unknown "Order" id "4"."#,
    );
    fails(
        r1.find_by_id(Value::Int(99), &opts()).await,
        404,
        r#"Unknown "Order" id "99"."#,
    );

    // exists
    assert!(r1.exists(Value::Int(2), &opts()).await.unwrap());
    assert!(!r1.exists(Value::Int(4), &opts()).await.unwrap());
    assert!(!r1.exists(Value::Int(99), &opts()).await.unwrap());

    // build sets the foreign key and stores nothing.
    let built = r1.build(rec(json!({"description": "b"}))).unwrap();
    assert_eq!(
        deep_json(&built),
        json!({"description": "b", "customerId": 1})
    );
    assert_eq!(count(order).await, 4);

    // create refuses a foreign key naming another owner.
    fails(
        r1.create(rec(json!({"description": "x", "customerId": 2})), &opts())
            .await,
        400,
        "Cannot override foreign key customerId",
    );
    assert_eq!(count(order).await, 4);

    // updateById: only related instances.
    let updated = r1
        .update_by_id(Value::Int(2), rec(json!({"total": 25})), &opts())
        .await
        .unwrap();
    let o2 = json!({"id": 2, "description": "o2", "total": 25, "customerId": 1});
    assert_eq!(deep_json(&updated), o2);
    assert_eq!(stored_json(order, 2).await, o2);
    fails(
        r1.update_by_id(Value::Int(4), rec(json!({"total": 1})), &opts())
            .await,
        404,
        r#"Unknown "Order" id "4"."#,
    );
    assert_eq!(stored_json(order, 4).await, o4);

    // destroyById: only related instances.
    r1.destroy_by_id(Value::Int(1), &opts()).await.unwrap();
    assert_eq!(stored(order, 1).await, None);
    fails(
        r1.destroy_by_id(Value::Int(4), &opts()).await,
        404,
        r#"Unknown "Order" id "4"."#,
    );
    assert_eq!(stored_json(order, 4).await, o4);

    // destroyAll, with and without a where; other owners' instances stay.
    assert_eq!(
        r1.destroy_all(Some(where_(order, json!({"total": {"gt": 26}}))), &opts())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        rows_json(&r1.find(by_id(), &opts()).await.unwrap()),
        json!([o2])
    );
    assert_eq!(r1.destroy_all(None, &opts()).await.unwrap(), 1);
    assert_eq!(all_json(order).await, json!([o4]));
    assert_eq!(count(customer).await, 2);
}

// ----- hasManyThrough ------------------------------------------------------------------------

/// Physician ↔ Patient through Appointment, with explicit `foreignKey` and `keyThrough` that
/// differ from the defaults (LB3 docs: `{through: Appointment, foreignKey: 'fooId',
/// keyThrough: 'barId'}`).
fn physicians_patients() -> Vec<serde_json::Value> {
    vec![
        json!({"name": "Physician", "properties": {"name": "string"},
            "relations": {"patients": {"type": "hasMany", "model": "Patient",
                "through": "Appointment", "foreignKey": "fooId", "keyThrough": "barId"}}}),
        json!({"name": "Patient", "properties": {"name": "string"},
            "relations": {"physicians": {"type": "hasMany", "model": "Physician",
                "through": "Appointment", "foreignKey": "barId", "keyThrough": "fooId"}}}),
        json!({"name": "Appointment", "properties": {"appointmentDate": "date"},
            "relations": {"foo": {"type": "belongsTo", "model": "Physician"},
                          "bar": {"type": "belongsTo", "model": "Patient"}}}),
    ]
}

pub async fn rel_has_many_through_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env.define_all(physicians_patients()).await;
    let (physician, patient, appointment) = (&ms[0], &ms[1], &ms[2]);
    assert_eq!(
        property_names(appointment),
        ["id", "appointmentDate", "fooId", "barId"]
    );
    // The through relation adds nothing to its ends.
    assert_eq!(property_names(physician), ["id", "name"]);
    assert_eq!(property_names(patient), ["id", "name"]);
    let p = seed(physician, &[r#"{"name": "dr a"}"#, r#"{"name": "dr b"}"#]).await;
    let mut r = physician.related(&p[0], "patients").unwrap();

    // create: the target and the link.
    let created = r.create(rec(json!({"name": "pa"})), &opts()).await.unwrap();
    assert_eq!(deep_json(&created), json!({"id": 1, "name": "pa"}));
    assert_eq!(
        all_json(appointment).await,
        json!([{"id": 1, "fooId": 1, "barId": 1}])
    );
    let pb = json!({"id": 2, "name": "pb"});
    seed(patient, &[r#"{"name": "pb"}"#, r#"{"name": "pc"}"#]).await;

    // link (add): the through instance, with through-model data.
    let link = r
        .link(
            Value::Int(2),
            rec(json!({"appointmentDate": "2014-06-01T00:00:00.000Z"})),
            &opts(),
        )
        .await
        .unwrap();
    let a2 =
        json!({"id": 2, "fooId": 1, "barId": 2, "appointmentDate": "2014-06-01T00:00:00.000Z"});
    assert_eq!(deep_json(&link), a2);
    // Linking again finds the existing link (LB3 uses findOrCreate).
    let again = r.link(Value::Int(2), Record::new(), &opts()).await.unwrap();
    assert_eq!(deep_json(&again), a2);
    assert_eq!(count(appointment).await, 2);
    physician
        .related(&p[1], "patients")
        .unwrap()
        .link(Value::Int(3), Record::new(), &opts())
        .await
        .unwrap();

    // find / count / exists / findById see linked targets only.
    assert_eq!(
        rows_json(&r.find(by_id(), &opts()).await.unwrap()),
        json!([{"id": 1, "name": "pa"}, pb])
    );
    assert_eq!(
        rows_json(
            &r.find(filter(patient, json!({"where": {"name": "pb"}})), &opts())
                .await
                .unwrap()
        ),
        json!([pb])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 2);
    assert_eq!(
        r.count(Some(where_(patient, json!({"name": "pb"}))), &opts())
            .await
            .unwrap(),
        1
    );
    assert!(r.exists(Value::Int(2), &opts()).await.unwrap());
    assert!(!r.exists(Value::Int(3), &opts()).await.unwrap());
    assert_eq!(
        deep_json(&r.find_by_id(Value::Int(2), &opts()).await.unwrap()),
        pb
    );
    fails(
        r.find_by_id(Value::Int(3), &opts()).await,
        404,
        r#"Unknown "Patient" id "3"."#,
    );
    // The inverse relation through the same model.
    let pbr = stored(patient, 2).await.unwrap();
    assert_eq!(
        rows_json(
            &patient
                .related(&pbr, "physicians")
                .unwrap()
                .find(by_id(), &opts())
                .await
                .unwrap()
        ),
        json!([{"id": 1, "name": "dr a"}])
    );

    // build: no key to set on the target.
    assert_eq!(
        deep_json(&r.build(rec(json!({"name": "x"}))).unwrap()),
        json!({"name": "x"})
    );

    // updateById: only linked targets.
    let updated = r
        .update_by_id(Value::Int(1), rec(json!({"name": "pa2"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&updated), json!({"id": 1, "name": "pa2"}));
    fails(
        r.update_by_id(Value::Int(3), rec(json!({"name": "no"})), &opts())
            .await,
        404,
        r#"Unknown "Patient" id "3"."#,
    );
    assert_eq!(
        stored_json(patient, 3).await,
        json!({"id": 3, "name": "pc"})
    );

    // unlink (remove): the link goes, the target stays.
    r.unlink(Value::Int(2), &opts()).await.unwrap();
    assert_eq!(
        all_json(appointment).await,
        json!([{"id": 1, "fooId": 1, "barId": 1}, {"id": 3, "fooId": 2, "barId": 3}])
    );
    assert_eq!(stored_json(patient, 2).await, pb);
    assert!(!r.exists(Value::Int(2), &opts()).await.unwrap());

    // destroyById: the link and the target go.
    r.destroy_by_id(Value::Int(1), &opts()).await.unwrap();
    assert_eq!(
        all_json(appointment).await,
        json!([{"id": 3, "fooId": 2, "barId": 3}])
    );
    assert_eq!(stored(patient, 1).await, None);
    fails(
        r.destroy_by_id(Value::Int(3), &opts()).await,
        404,
        r#"Unknown "Patient" id "3"."#,
    );

    // destroyAll: the matching targets and their links; other physicians' links stay.
    r.link(Value::Int(2), Record::new(), &opts()).await.unwrap();
    r.link(Value::Int(3), Record::new(), &opts()).await.unwrap();
    assert_eq!(
        r.destroy_all(Some(where_(patient, json!({"name": "pb"}))), &opts())
            .await
            .unwrap(),
        1
    );
    assert_eq!(stored(patient, 2).await, None);
    assert_eq!(
        all_json(appointment).await,
        json!([{"id": 3, "fooId": 2, "barId": 3}, {"id": 5, "fooId": 1, "barId": 3}])
    );
    assert_eq!(r.destroy_all(None, &opts()).await.unwrap(), 1);
    assert_eq!(count(patient).await, 0);
    assert_eq!(
        all_json(appointment).await,
        json!([{"id": 3, "fooId": 2, "barId": 3}])
    );
}

// ----- hasAndBelongsToMany -------------------------------------------------------------------

pub async fn rel_has_and_belongs_to_many_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Assembly", "plural": "Assemblies", "properties": {"name": "string"},
                "relations": {"parts": {"type": "hasAndBelongsToMany", "model": "Part"}}}),
            json!({"name": "Part", "properties": {"partNumber": "string"}}),
        ])
        .await;
    let (assembly, part) = (&ms[0], &ms[1]);
    // The implicit through model `AssemblyPart` is defined (and migrated) with both keys.
    assert_eq!(env.app.model_names(), ["Assembly", "AssemblyPart", "Part"]);
    let through = env.app.try_model("AssemblyPart").unwrap();
    assert_eq!(property_names(&through), ["id", "assemblyId", "partId"]);
    assert_eq!(property_names(part), ["id", "partNumber"]);

    let a = seed(assembly, &[r#"{"name": "a1"}"#, r#"{"name": "a2"}"#]).await;
    seed(
        part,
        &[
            r#"{"partNumber": "p1"}"#,
            r#"{"partNumber": "p2"}"#,
            r#"{"partNumber": "p3"}"#,
        ],
    )
    .await;
    let mut r = assembly.related(&a[0], "parts").unwrap();
    let l1 = r.link(Value::Int(1), Record::new(), &opts()).await.unwrap();
    assert_eq!(
        deep_json(&l1),
        json!({"id": 1, "assemblyId": 1, "partId": 1})
    );
    r.link(v(json!("2")), Record::new(), &opts()).await.unwrap();
    let created = r
        .create(rec(json!({"partNumber": "p4"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&created), json!({"id": 4, "partNumber": "p4"}));
    assembly
        .related(&a[1], "parts")
        .unwrap()
        .link(Value::Int(1), Record::new(), &opts())
        .await
        .unwrap();
    assert_eq!(
        all_json(&through).await,
        json!([
            {"id": 1, "assemblyId": 1, "partId": 1},
            {"id": 2, "assemblyId": 1, "partId": 2},
            {"id": 3, "assemblyId": 1, "partId": 4},
            {"id": 4, "assemblyId": 2, "partId": 1}
        ])
    );

    let p1 = json!({"id": 1, "partNumber": "p1"});
    let p2 = json!({"id": 2, "partNumber": "p2"});
    let p4 = json!({"id": 4, "partNumber": "p4"});
    assert_eq!(
        rows_json(&r.find(by_id(), &opts()).await.unwrap()),
        json!([p1, p2, p4])
    );
    assert_eq!(
        rows_json(
            &r.find(
                filter(part, json!({"order": "partNumber DESC", "limit": 2})),
                &opts()
            )
            .await
            .unwrap()
        ),
        json!([p4, p2])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 3);
    assert!(r.exists(Value::Int(4), &opts()).await.unwrap());
    assert!(!r.exists(Value::Int(3), &opts()).await.unwrap());
    assert_eq!(
        deep_json(&r.find_by_id(Value::Int(2), &opts()).await.unwrap()),
        p2
    );
    fails(
        r.find_by_id(Value::Int(3), &opts()).await,
        404,
        r#"Unknown "Part" id "3"."#,
    );

    let updated = r
        .update_by_id(Value::Int(1), rec(json!({"partNumber": "p1x"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&updated), json!({"id": 1, "partNumber": "p1x"}));

    // unlink keeps the part; destroyById removes the part and its link.
    r.unlink(Value::Int(2), &opts()).await.unwrap();
    assert_eq!(stored_json(part, 2).await, p2);
    r.destroy_by_id(Value::Int(4), &opts()).await.unwrap();
    assert_eq!(stored(part, 4).await, None);
    assert_eq!(
        all_json(&through).await,
        json!([
            {"id": 1, "assemblyId": 1, "partId": 1},
            {"id": 4, "assemblyId": 2, "partId": 1}
        ])
    );
    assert_eq!(
        rows_json(&r.find(by_id(), &opts()).await.unwrap()),
        json!([{"id": 1, "partNumber": "p1x"}])
    );
    // The other assembly shares part 1.
    assert_eq!(
        rows_json(
            &assembly
                .related(&a[1], "parts")
                .unwrap()
                .find(by_id(), &opts())
                .await
                .unwrap()
        ),
        json!([{"id": 1, "partNumber": "p1x"}])
    );

    // build sets no key; destroyAll removes this assembly's links and the parts themselves.
    assert_eq!(
        deep_json(&r.build(rec(json!({"partNumber": "x"}))).unwrap()),
        json!({"partNumber": "x"})
    );
    assert_eq!(r.destroy_all(None, &opts()).await.unwrap(), 1);
    assert_eq!(
        all_json(part).await,
        json!([p2, {"id": 3, "partNumber": "p3"}])
    );
    assert_eq!(
        all_json(&through).await,
        json!([{"id": 4, "assemblyId": 2, "partId": 1}])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 0);
}

// ----- polymorphic ---------------------------------------------------------------------------

fn pictures() -> Vec<serde_json::Value> {
    vec![
        json!({"name": "Author", "properties": {"name": "string"},
            "relations": {"pictures": {"type": "hasMany", "model": "Picture",
                                       "polymorphic": "imageable"}}}),
        json!({"name": "Reader", "properties": {"name": "string"},
            "relations": {"avatar": {"type": "hasOne", "model": "Picture",
                "polymorphic": {"as": "imageable", "foreignKey": "imageableId",
                                "discriminator": "imageableType"}}}}),
        json!({"name": "Picture", "properties": {"url": "string"},
            "relations": {"imageable": {"type": "belongsTo", "polymorphic": true}}}),
    ]
}

pub async fn rel_polymorphic_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env.define_all(pictures()).await;
    let (author, reader, picture) = (&ms[0], &ms[1], &ms[2]);
    assert_eq!(
        property_names(picture),
        ["id", "url", "imageableId", "imageableType"]
    );
    let a = seed(author, &[r#"{"name": "ann"}"#]).await;
    let rd = seed(reader, &[r#"{"name": "rita"}"#]).await;

    // hasMany polymorphic: the key and the discriminator are set.
    let mut ap = author.related(&a[0], "pictures").unwrap();
    let built = ap.build(rec(json!({"url": "x.jpg"}))).unwrap();
    assert_eq!(
        deep_json(&built),
        json!({"url": "x.jpg", "imageableId": 1, "imageableType": "Author"})
    );
    let pic1 = json!({"id": 1, "url": "a1.jpg", "imageableId": 1, "imageableType": "Author"});
    let pic2 = json!({"id": 2, "url": "a2.jpg", "imageableId": 1, "imageableType": "Author"});
    let pic3 = json!({"id": 3, "url": "r.jpg", "imageableId": 1, "imageableType": "Reader"});
    assert_eq!(
        deep_json(
            &ap.create(rec(json!({"url": "a1.jpg"})), &opts())
                .await
                .unwrap()
        ),
        pic1
    );
    assert_eq!(
        deep_json(
            &ap.create(rec(json!({"url": "a2.jpg"})), &opts())
                .await
                .unwrap()
        ),
        pic2
    );

    // hasOne polymorphic.
    let mut rv = reader.related(&rd[0], "avatar").unwrap();
    assert_eq!(rv.get(&opts()).await.unwrap(), None);
    assert_eq!(
        deep_json(
            &rv.create(rec(json!({"url": "r.jpg"})), &opts())
                .await
                .unwrap()
        ),
        pic3
    );
    fails(
        rv.create(rec(json!({"url": "again.jpg"})), &opts()).await,
        400,
        "HasOne relation cannot create more than one instance of Picture",
    );
    assert_eq!(opt_json(rv.get(&opts()).await.unwrap()), pic3);

    // The discriminator separates owners sharing an id.
    assert_eq!(
        rows_json(&ap.find(by_id(), &opts()).await.unwrap()),
        json!([pic1, pic2])
    );
    assert_eq!(ap.count(None, &opts()).await.unwrap(), 2);
    assert!(ap.exists(Value::Int(2), &opts()).await.unwrap());
    assert!(!ap.exists(Value::Int(3), &opts()).await.unwrap());
    fails(
        ap.find_by_id(Value::Int(3), &opts()).await,
        404,
        r#"Unknown "Picture" id "3"."#,
    );

    // belongsTo polymorphic: the target model is read from the discriminator.
    let pics = all(picture).await;
    assert_eq!(
        opt_json(
            picture
                .related(&pics[0], "imageable")
                .unwrap()
                .get(&opts())
                .await
                .unwrap()
        ),
        json!({"id": 1, "name": "ann"})
    );
    assert_eq!(
        opt_json(
            picture
                .related(&pics[2], "imageable")
                .unwrap()
                .get(&opts())
                .await
                .unwrap()
        ),
        json!({"id": 1, "name": "rita"})
    );

    // updates keep the owner.
    let updated = ap
        .update_by_id(Value::Int(2), rec(json!({"url": "a2b.jpg"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        deep_json(&updated),
        json!({"id": 2, "url": "a2b.jpg", "imageableId": 1, "imageableType": "Author"})
    );
    let updated = rv
        .update(rec(json!({"url": "r2.jpg"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        deep_json(&updated),
        json!({"id": 3, "url": "r2.jpg", "imageableId": 1, "imageableType": "Reader"})
    );

    // destroy / destroyAll stay within the owner.
    rv.destroy(&opts()).await.unwrap();
    assert_eq!(stored(picture, 3).await, None);
    assert_eq!(count(picture).await, 2);
    ap.destroy_by_id(Value::Int(1), &opts()).await.unwrap();
    assert_eq!(ap.destroy_all(None, &opts()).await.unwrap(), 1);
    assert_eq!(count(picture).await, 0);
}

// ----- embedsOne -----------------------------------------------------------------------------

pub async fn rel_embeds_one_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Customer", "properties": {"name": "string"},
                "relations": {"address": {"type": "embedsOne", "model": "Address",
                    "property": "billingAddress",
                    "options": {"validate": true, "forceId": false}}}}),
            json!({"name": "Address", "base": "Model", "idInjection": false,
                "properties": {"street": {"type": "string", "required": true},
                               "city": "string"}}),
        ])
        .await;
    let customer = &ms[0];
    assert_eq!(property_names(customer), ["id", "name", "billingAddress"]);
    let c = seed(customer, &[r#"{"name": "ann"}"#]).await;
    let mut r = customer.related(&c[0], "address").unwrap();
    assert_eq!(r.get(&opts()).await.unwrap(), None);

    // An invalid item is refused and nothing is stored.
    let e = r
        .create(rec(json!({"city": "SJ"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422);
    assert_eq!(codes(&e), json!({"street": ["presence"]}));
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann"})
    );

    let addr = json!({"street": "1 Main", "city": "SJ"});
    let created = r
        .create(rec(json!({"street": "1 Main", "city": "SJ"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&created), addr);
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "billingAddress": addr})
    );
    assert_eq!(opt_json(r.get(&opts()).await.unwrap()), addr);
    assert_eq!(
        rows_json(&r.find(Filter::new(), &opts()).await.unwrap()),
        json!([addr])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 1);

    // build stores nothing.
    assert_eq!(
        deep_json(&r.build(rec(json!({"street": "2 Side"}))).unwrap()),
        json!({"street": "2 Side"})
    );

    // update patches the embedded item; an invalid result is refused.
    let updated = r.update(rec(json!({"city": "LA"})), &opts()).await.unwrap();
    let addr = json!({"street": "1 Main", "city": "LA"});
    assert_eq!(deep_json(&updated), addr);
    let e = r
        .update(rec(json!({"street": null})), &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422);
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "billingAddress": addr})
    );

    // destroy removes it.
    r.destroy(&opts()).await.unwrap();
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann"})
    );
    assert_eq!(r.get(&opts()).await.unwrap(), None);
    fails(
        r.update(rec(json!({"city": "NY"})), &opts()).await,
        404,
        r#"Unknown "Address" id "(embedded)"."#,
    );
}

// ----- embedsMany ----------------------------------------------------------------------------

pub async fn rel_embeds_many_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Customer", "properties": {"name": "string"},
                "relations": {"emails": {"type": "embedsMany", "model": "EmailAddress",
                    "property": "emailList",
                    "options": {"validate": true, "forceId": false}}}}),
            json!({"name": "EmailAddress", "base": "Model",
                "properties": {"label": "string",
                               "address": {"type": "string", "required": true}}}),
        ])
        .await;
    let (customer, email) = (&ms[0], &ms[1]);
    assert_eq!(property_names(customer), ["id", "name", "emailList"]);
    let c = seed(customer, &[r#"{"name": "ann"}"#]).await;
    // The list defaults to [].
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "emailList": []})
    );
    let mut r = customer.related(&c[0], "emails").unwrap();
    assert!(r.find(Filter::new(), &opts()).await.unwrap().is_empty());

    let work = json!({"id": 1, "label": "work", "address": "a@w"});
    let home = json!({"id": 2, "label": "home", "address": "a@h"});
    assert_eq!(
        deep_json(
            &r.create(rec(json!({"label": "work", "address": "a@w"})), &opts())
                .await
                .unwrap()
        ),
        work
    );
    assert_eq!(
        deep_json(
            &r.create(rec(json!({"label": "home", "address": "a@h"})), &opts())
                .await
                .unwrap()
        ),
        home
    );
    let e = r
        .create(rec(json!({"label": "bad"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422);
    assert_eq!(codes(&e), json!({"address": ["presence"]}));
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "emailList": [work, home]})
    );

    // find / count / findById / exists
    assert_eq!(
        rows_json(&r.find(Filter::new(), &opts()).await.unwrap()),
        json!([work, home])
    );
    assert_eq!(
        rows_json(
            &r.find(filter(email, json!({"where": {"label": "home"}})), &opts())
                .await
                .unwrap()
        ),
        json!([home])
    );
    assert_eq!(
        rows_json(
            &r.find(
                filter(email, json!({"order": "label ASC", "limit": 1})),
                &opts()
            )
            .await
            .unwrap()
        ),
        json!([home])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 2);
    assert_eq!(
        r.count(Some(where_(email, json!({"label": "work"}))), &opts())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        deep_json(&r.find_by_id(Value::Int(2), &opts()).await.unwrap()),
        home
    );
    fails(
        r.find_by_id(Value::Int(9), &opts()).await,
        404,
        r#"Unknown "EmailAddress" id "9"."#,
    );
    assert!(r.exists(Value::Int(1), &opts()).await.unwrap());
    assert!(!r.exists(Value::Int(9), &opts()).await.unwrap());

    // build stores nothing.
    assert_eq!(
        deep_json(&r.build(rec(json!({"label": "x", "address": "y"}))).unwrap()),
        json!({"label": "x", "address": "y"})
    );

    // updateById patches one item; its id cannot change.
    let updated = r
        .update_by_id(Value::Int(1), rec(json!({"address": "b@w"})), &opts())
        .await
        .unwrap();
    let work = json!({"id": 1, "label": "work", "address": "b@w"});
    assert_eq!(deep_json(&updated), work);
    fails(
        r.update_by_id(Value::Int(1), rec(json!({"id": 5})), &opts())
            .await,
        400,
        "Cannot override foreign key id",
    );
    fails(
        r.update_by_id(Value::Int(9), rec(json!({"label": "x"})), &opts())
            .await,
        404,
        r#"Unknown "EmailAddress" id "9"."#,
    );
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "emailList": [work, home]})
    );

    // destroyById
    r.destroy_by_id(Value::Int(1), &opts()).await.unwrap();
    fails(
        r.destroy_by_id(Value::Int(1), &opts()).await,
        404,
        r#"Unknown "EmailAddress" id "1"."#,
    );
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "emailList": [home]})
    );

    // New items get the next id; destroyAll with and without a where.
    let other = json!({"id": 3, "label": "other", "address": "a@o"});
    assert_eq!(
        deep_json(
            &r.create(rec(json!({"label": "other", "address": "a@o"})), &opts())
                .await
                .unwrap()
        ),
        other
    );
    assert_eq!(
        r.destroy_all(Some(where_(email, json!({"label": "home"}))), &opts())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "emailList": [other]})
    );
    assert_eq!(r.destroy_all(None, &opts()).await.unwrap(), 1);
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "emailList": []})
    );
}

// ----- referencesMany ------------------------------------------------------------------------

fn customer_accounts() -> Vec<serde_json::Value> {
    vec![
        json!({"name": "Customer", "properties": {"name": "string"},
            "relations": {"accounts": {"type": "referencesMany", "model": "Account",
                "options": {"validate": true, "forceId": false}}}}),
        json!({"name": "Account", "properties": {"name": "string"}}),
    ]
}

pub async fn rel_references_many_methods(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env.define_all(customer_accounts()).await;
    let (customer, account) = (&ms[0], &ms[1]);
    assert_eq!(property_names(customer), ["id", "name", "accountIds"]);
    let c = seed(customer, &[r#"{"name": "ann"}"#]).await;
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "accountIds": []})
    );
    seed(
        account,
        &[
            r#"{"name": "acc1"}"#,
            r#"{"name": "acc2"}"#,
            r#"{"name": "acc3"}"#,
        ],
    )
    .await;
    let mut r = customer.related(&c[0], "accounts").unwrap();
    let ids_stored = |j: serde_json::Value| json!({"id": 1, "name": "ann", "accountIds": j});

    // create: the target, then its id is listed on the owner.
    let created = r
        .create(rec(json!({"name": "new"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&created), json!({"id": 4, "name": "new"}));
    assert_eq!(
        r.instance().get("accountIds"),
        Some(&Value::Array(vec![Value::Int(4)]))
    );
    assert_eq!(stored_json(customer, 1).await, ids_stored(json!([4])));

    // link (add) returns the target; linking twice lists it once.
    let linked = r.link(Value::Int(2), Record::new(), &opts()).await.unwrap();
    assert_eq!(deep_json(&linked), json!({"id": 2, "name": "acc2"}));
    r.link(Value::Int(2), Record::new(), &opts()).await.unwrap();
    assert_eq!(stored_json(customer, 1).await, ids_stored(json!([4, 2])));

    // find keeps the stored order unless the filter orders.
    let acc2 = json!({"id": 2, "name": "acc2"});
    let new = json!({"id": 4, "name": "new"});
    assert_eq!(
        rows_json(&r.find(Filter::new(), &opts()).await.unwrap()),
        json!([new, acc2])
    );
    assert_eq!(
        rows_json(
            &r.find(filter(account, json!({"order": "name ASC"})), &opts())
                .await
                .unwrap()
        ),
        json!([acc2, new])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 2);
    assert!(r.exists(Value::Int(2), &opts()).await.unwrap());
    assert!(!r.exists(Value::Int(1), &opts()).await.unwrap());
    assert_eq!(
        deep_json(&r.find_by_id(Value::Int(4), &opts()).await.unwrap()),
        new
    );
    fails(
        r.find_by_id(Value::Int(1), &opts()).await,
        404,
        r#"Unknown "Account" id "1"."#,
    );

    // updateById: only referenced targets.
    let updated = r
        .update_by_id(Value::Int(2), rec(json!({"name": "acc2x"})), &opts())
        .await
        .unwrap();
    assert_eq!(deep_json(&updated), json!({"id": 2, "name": "acc2x"}));
    fails(
        r.update_by_id(Value::Int(1), rec(json!({"name": "no"})), &opts())
            .await,
        404,
        r#"Unknown "Account" id "1"."#,
    );

    // unlink (remove) keeps the target.
    r.unlink(Value::Int(4), &opts()).await.unwrap();
    assert_eq!(stored_json(customer, 1).await, ids_stored(json!([2])));
    assert_eq!(count(account).await, 4);

    // destroyById removes the id and the target.
    r.link(Value::Int(3), Record::new(), &opts()).await.unwrap();
    r.destroy_by_id(Value::Int(2), &opts()).await.unwrap();
    assert_eq!(stored(account, 2).await, None);
    assert_eq!(stored_json(customer, 1).await, ids_stored(json!([3])));

    // destroyAll removes every referenced target and empties the list.
    r.link(Value::Int(1), Record::new(), &opts()).await.unwrap();
    assert_eq!(stored_json(customer, 1).await, ids_stored(json!([3, 1])));
    assert_eq!(r.destroy_all(None, &opts()).await.unwrap(), 2);
    assert_eq!(all_json(account).await, json!([new]));
    assert_eq!(stored_json(customer, 1).await, ids_stored(json!([])));
}

// ----- relation options and errors -----------------------------------------------------------

/// The relation's own `scope` applies to every query on it, and `properties` copies owner
/// values into new related instances (LB3 docs, relation options `scope` and `properties`).
pub async fn rel_scope_and_properties(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Category", "properties": {"name": "string", "type": "string"},
                "relations": {"shoes": {"type": "hasMany", "model": "Item",
                    "scope": {"where": {"kind": "shoe"}, "order": "name ASC"},
                    "properties": {"type": "kind"}}}}),
            json!({"name": "Item", "properties": {"name": "string", "kind": "string"}}),
        ])
        .await;
    let (category, item) = (&ms[0], &ms[1]);
    let c = seed(category, &[r#"{"name": "feet", "type": "shoe"}"#]).await;
    let mut r = category.related(&c[0], "shoes").unwrap();
    let created = r
        .create(rec(json!({"name": "zeta"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        deep_json(&created),
        json!({"id": 1, "name": "zeta", "kind": "shoe", "categoryId": 1})
    );
    seed(
        item,
        &[
            r#"{"name": "alpha", "kind": "shoe", "categoryId": 1}"#,
            r#"{"name": "beta", "kind": "hat", "categoryId": 1}"#,
        ],
    )
    .await;
    assert_eq!(
        rows_json(&r.find(Filter::new(), &opts()).await.unwrap()),
        json!([
            {"id": 2, "name": "alpha", "kind": "shoe", "categoryId": 1},
            {"id": 1, "name": "zeta", "kind": "shoe", "categoryId": 1}
        ])
    );
    assert_eq!(r.count(None, &opts()).await.unwrap(), 2);
    fails(
        r.find_by_id(Value::Int(3), &opts()).await,
        404,
        r#"Unknown "Item" id "3"."#,
    );
    assert_eq!(r.destroy_all(None, &opts()).await.unwrap(), 2);
    assert_eq!(
        all_json(item).await,
        json!([{"id": 3, "name": "beta", "kind": "hat", "categoryId": 1}])
    );
}

/// Linking a target that does not exist is a 404 and writes nothing: no through instance, no
/// id in a referencesMany list.
pub async fn rel_link_unknown_id_is_404_and_writes_nothing(fx: Fixture) {
    let env = Env::new(fx);
    let mut jsons = physicians_patients();
    jsons.extend(customer_accounts());
    jsons.push(
        json!({"name": "Assembly", "plural": "Assemblies", "properties": {"name": "string"},
            "relations": {"parts": {"type": "hasAndBelongsToMany", "model": "Part"}}}),
    );
    jsons.push(json!({"name": "Part", "properties": {"partNumber": "string"}}));
    let ms = env.define_all(jsons).await;
    let (physician, patient, appointment) = (&ms[0], &ms[1], &ms[2]);
    let (customer, account) = (&ms[3], &ms[4]);
    let (assembly, part) = (&ms[5], &ms[6]);
    let through = env.app.try_model("AssemblyPart").unwrap();

    let p = seed(physician, &[r#"{"name": "dr a"}"#]).await;
    seed(patient, &[r#"{"name": "pa"}"#]).await;
    let mut r = physician.related(&p[0], "patients").unwrap();
    fails(
        r.link(Value::Int(99), Record::new(), &opts()).await,
        404,
        r#"Unknown "Patient" id "99"."#,
    );
    assert_eq!(count(appointment).await, 0);
    // A string id is coerced before the lookup.
    fails(
        r.link(v(json!("99")), Record::new(), &opts()).await,
        404,
        r#"Unknown "Patient" id "99"."#,
    );
    assert_eq!(count(appointment).await, 0);
    assert_eq!(r.count(None, &opts()).await.unwrap(), 0);

    let a = seed(assembly, &[r#"{"name": "a1"}"#]).await;
    seed(part, &[r#"{"partNumber": "p1"}"#]).await;
    let mut r = assembly.related(&a[0], "parts").unwrap();
    fails(
        r.link(Value::Int(42), Record::new(), &opts()).await,
        404,
        r#"Unknown "Part" id "42"."#,
    );
    assert_eq!(count(&through).await, 0);

    let c = seed(customer, &[r#"{"name": "ann"}"#]).await;
    seed(account, &[r#"{"name": "acc1"}"#]).await;
    let mut r = customer.related(&c[0], "accounts").unwrap();
    fails(
        r.link(Value::Int(7), Record::new(), &opts()).await,
        404,
        r#"Unknown "Account" id "7"."#,
    );
    assert_eq!(r.instance().get("accountIds"), Some(&Value::Array(vec![])));
    assert_eq!(
        stored_json(customer, 1).await,
        json!({"id": 1, "name": "ann", "accountIds": []})
    );
}

/// A relation-scoped `updateById` (or a hasOne `update`) cannot move the instance to another
/// owner: a changed foreign key or discriminator is a 400 and the record is unchanged.
/// Repeating the current value is allowed.
pub async fn rel_update_by_id_refuses_foreign_key_change(fx: Fixture) {
    let env = Env::new(fx);
    let mut jsons = customer_orders();
    jsons.extend(pictures());
    let ms = env.define_all(jsons).await;
    let (customer, order) = (&ms[0], &ms[1]);
    let author = &ms[2];
    let picture = &ms[4];

    let c = seed(customer, &[r#"{"name": "ann"}"#, r#"{"name": "bob"}"#]).await;
    let mut r = customer.related(&c[0], "orders").unwrap();
    r.create(rec(json!({"description": "o1", "total": 10})), &opts())
        .await
        .unwrap();
    let o1 = json!({"id": 1, "description": "o1", "total": 10, "customerId": 1});
    fails(
        r.update_by_id(
            Value::Int(1),
            rec(json!({"customerId": 2, "total": 99})),
            &opts(),
        )
        .await,
        400,
        "Cannot override foreign key customerId",
    );
    assert_eq!(stored_json(order, 1).await, o1);
    // A string naming the same owner is the same key.
    let same = r
        .update_by_id(
            Value::Int(1),
            rec(json!({"customerId": "1", "total": 11})),
            &opts(),
        )
        .await
        .unwrap();
    let o1 = json!({"id": 1, "description": "o1", "total": 11, "customerId": 1});
    assert_eq!(deep_json(&same), o1);
    assert_eq!(stored_json(order, 1).await, o1);
    assert_eq!(
        customer
            .related(&c[1], "orders")
            .unwrap()
            .count(None, &opts())
            .await
            .unwrap(),
        0
    );

    // Polymorphic: neither the key nor the discriminator may change.
    let a = seed(author, &[r#"{"name": "ann"}"#]).await;
    let mut ap = author.related(&a[0], "pictures").unwrap();
    ap.create(rec(json!({"url": "a.jpg"})), &opts())
        .await
        .unwrap();
    let pic = json!({"id": 1, "url": "a.jpg", "imageableId": 1, "imageableType": "Author"});
    fails(
        ap.update_by_id(
            Value::Int(1),
            rec(json!({"imageableType": "Reader"})),
            &opts(),
        )
        .await,
        400,
        "Cannot override foreign key imageableType",
    );
    fails(
        ap.update_by_id(Value::Int(1), rec(json!({"imageableId": 2})), &opts())
            .await,
        400,
        "Cannot override foreign key imageableId",
    );
    assert_eq!(stored_json(picture, 1).await, pic);
}

// ----- add / remove ------------------------------------------------------------------------

/// referencesMany `add`/`remove` (LB3's names for linking and unlinking by id), and an
/// embedsMany of link items with `options.belongsTo` (LB3's embedded links): `add` embeds an
/// item pointing at an existing model, `remove` drops the items that point at it.
pub async fn rel_add_and_remove(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Book", "properties": {"name": "string"},
                "relations": {
                    "people": {"type": "embedsMany", "model": "Link", "property": "links",
                               "options": {"belongsTo": "person"}},
                    "authors": {"type": "referencesMany", "model": "Person"}}}),
            json!({"name": "Link", "base": "Model", "properties": {"role": "string"},
                "relations": {"person": {"type": "belongsTo", "model": "Person"}}}),
            json!({"name": "Person", "properties": {"name": "string"}}),
            json!({"name": "Shelf", "properties": {"name": "string"},
                "relations": {"books": {"type": "hasMany", "model": "Book"}}}),
        ])
        .await;
    let (book, person, shelf_model) = (&ms[0], &ms[2], &ms[3]);
    let b = seed(book, &[r#"{"name": "b1"}"#]).await;
    seed(person, &[r#"{"name": "ann"}"#, r#"{"name": "bob"}"#]).await;

    // referencesMany.
    let mut authors = book.related(&b[0], "authors").unwrap();
    let added = authors
        .add(Value::Int(2), Record::new(), &opts())
        .await
        .unwrap();
    assert_eq!(opt_json(added), json!({"id": 2, "name": "bob"}));
    authors
        .add(Value::Int(1), Record::new(), &opts())
        .await
        .unwrap();
    authors
        .add(Value::Int(2), Record::new(), &opts())
        .await
        .unwrap();
    assert_eq!(
        authors
            .add(Value::Int(9), Record::new(), &opts())
            .await
            .unwrap(),
        None,
        "a missing model is not added"
    );
    assert_eq!(stored_json(book, 1).await["personIds"], json!([2, 1]));
    authors.remove(Value::Int(2), &opts()).await.unwrap();
    authors.remove(Value::Int(7), &opts()).await.unwrap();
    assert_eq!(stored_json(book, 1).await["personIds"], json!([1]));

    // embedsMany of links.
    let mut people = book.related(&b[0], "people").unwrap();
    let item = people
        .add(Value::Int(1), rec(json!({"role": "author"})), &opts())
        .await
        .unwrap()
        .expect("ann exists");
    assert_eq!(
        deep_json(&item),
        json!({"role": "author", "id": 1, "personId": 1})
    );
    people
        .add(Value::Int(2), rec(json!({"role": "editor"})), &opts())
        .await
        .unwrap()
        .expect("bob exists");
    people
        .add(Value::Int(1), rec(json!({"role": "editor"})), &opts())
        .await
        .unwrap()
        .expect("ann again");
    assert_eq!(
        people
            .add(Value::Int(9), Record::new(), &opts())
            .await
            .unwrap(),
        None
    );
    let roles = |j: serde_json::Value| -> Vec<(i64, String)> {
        j["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["personId"].as_i64().unwrap(),
                    l["role"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        roles(stored_json(book, 1).await),
        [
            (1, "author".to_owned()),
            (2, "editor".to_owned()),
            (1, "editor".to_owned())
        ]
    );
    people.remove(Value::Int(1), &opts()).await.unwrap();
    assert_eq!(
        roles(stored_json(book, 1).await),
        [(2, "editor".to_owned())]
    );

    // Other relations have no add/remove.
    let e = book
        .related(&b[0], "people")
        .unwrap()
        .create(rec(json!({"role": "x"})), &opts())
        .await;
    assert!(e.is_ok(), "plain create still works on the link list");
    let shelf = seed(shelf_model, &[r#"{"name": "s"}"#]).await;
    let e = shelf_model
        .related(&shelf[0], "books")
        .unwrap()
        .add(Value::Int(1), Record::new(), &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(e.to_string().contains("no add/remove"), "{e}");
}

/// embedsMany ids as LB3 assigns them: the next number when none is given, always with
/// `options.forceId`, never with `options.persistent`.
pub async fn rel_embedded_ids_follow_force_id_and_persistent(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Customer", "properties": {"name": "string"},
                "relations": {
                    "forced": {"type": "embedsMany", "model": "Note", "property": "forcedNotes",
                               "options": {"forceId": true}},
                    "given": {"type": "embedsMany", "model": "Note", "property": "givenNotes",
                              "options": {"forceId": false}},
                    "kept": {"type": "embedsMany", "model": "Note", "property": "keptNotes",
                             "options": {"persistent": true}}}}),
            json!({"name": "Note", "base": "Model", "properties": {"text": "string"}}),
        ])
        .await;
    let customer = &ms[0];
    let c = seed(customer, &[r#"{"name": "ann"}"#]).await;
    let ids = |rows: Vec<Record>| {
        rows.iter()
            .map(|r| r.get("id").cloned())
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    for (rel, given) in [("forced", 50), ("given", 50), ("kept", 50)] {
        let mut r = customer.related(&c[0], rel).unwrap();
        let a = r
            .create(rec(json!({"text": "a", "id": given})), &opts())
            .await
            .unwrap();
        let b = r.create(rec(json!({"text": "b"})), &opts()).await.unwrap();
        out.push(ids(vec![a, b]));
    }
    assert_eq!(
        out,
        [
            // forceId: the given 50 is replaced by the next number.
            vec![Some(Value::Int(1)), Some(Value::Int(2))],
            vec![Some(Value::Int(50)), Some(Value::Int(51))],
            // persistent: no id is made up.
            vec![Some(Value::Int(50)), None],
        ]
    );
}
