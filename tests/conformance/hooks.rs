//! Operation hooks: the sequence of hooks each operation fires, the context each hook gets, and
//! what observers can change or refuse (juggler persistence-hooks suite).
//!
//! The golden sequences and `isNewInstance` values were recorded from juggler 3.36 (memory
//! connector, and with its native upsert/findOrCreate removed for the non-atomic paths). Known
//! differences:
//! - `create` with several records runs them one after another, so each record's four hooks are
//!   contiguous (LB3 interleaves them).
//! - upserts follow LB3's native-connector path (`before save` with `where` + `data`) for every
//!   connector; `upsertWithWhere` follows LB3's generic path (a create or a patch).
//! - `patch_by_id` loads the record through `findById` first, as LB3's REST handler does.

use std::sync::{Arc, Mutex};

use loopback::{Error, Filter, HookContext, HookKind, ModelHandle, Options, Result, Value, Where};
use serde_json::json;

use super::*;

/// Registers a synchronous observer.
fn on(
    m: &ModelHandle,
    hook: HookKind,
    f: impl Fn(&mut HookContext) -> Result<()> + Send + Sync + 'static,
) {
    let f = Arc::new(f);
    m.observe(hook, move |mut ctx| {
        let res = f(&mut ctx);
        async move { res.map(|()| ctx) }
    });
}

fn id_eq(id: i64) -> Option<Where> {
    Some(Where::eq("id", Value::Int(id)))
}

fn item_json() -> serde_json::Value {
    json!({"name": "Item", "forceId": false, "properties": {"name": {"type": "string", "required": true}, "qty": "number"}})
}

async fn seeded_items(env: &Env) -> ModelHandle {
    let m = env.define(item_json()).await;
    m.create(rec(json!({"id": 1, "name": "a", "qty": 1})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"id": 2, "name": "b", "qty": 2})), &opts())
        .await
        .unwrap();
    m
}

pub async fn hooks_find_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    let rows = m
        .find(
            Filter::with_where(Where::eq("active", false)).order_by("id", loopback::Direction::Asc),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&rows), [2, 4]);
    assert_eq!(log.names(), ["access", "loaded", "loaded"]);
    let access = log.first(HookKind::Access);
    assert_eq!(
        access.query.as_ref().and_then(|q| q.where_.clone()),
        Some(Where::eq("active", false))
    );
    assert_eq!(access.model, "Product");
    let loaded = log
        .contexts()
        .into_iter()
        .filter(|c| c.hook == HookKind::Loaded)
        .collect::<Vec<_>>();
    assert_eq!(
        loaded
            .iter()
            .map(|c| id_of(c.data.as_ref().unwrap()))
            .collect::<Vec<_>>(),
        [2, 4]
    );
    assert!(loaded
        .iter()
        .all(|c| c.is_new_instance == Some(false) && c.instance.is_none()));
    log.clear();
    m.find(Filter::with_where(Where::eq("name", "nobody")), &opts())
        .await
        .unwrap();
    assert_eq!(log.names(), ["access"]);
}

pub async fn hooks_find_one_and_find_by_id_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.find_one(Filter::with_where(Where::eq("name", "beta")), &opts())
        .await
        .unwrap();
    assert_eq!(log.names(), ["access", "loaded"]);
    assert_eq!(log.first(HookKind::Access).query.unwrap().limit, Some(1));
    log.clear();
    m.find_by_id(Value::Int(3), None, &opts()).await.unwrap();
    assert_eq!(log.names(), ["access", "loaded"]);
    let q = log.first(HookKind::Access).query.unwrap();
    assert_eq!(q.where_, id_eq(3));
    assert_eq!(id_of(log.first(HookKind::Loaded).data.as_ref().unwrap()), 3);
}

pub async fn hooks_exists_and_count_fire_access_only(fx: Fixture) {
    // The docs list `loaded` for exists and count; LB3 fires only `access` (nothing is loaded).
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    assert!(m.exists(Value::Int(1), &opts()).await.unwrap());
    assert_eq!(log.names(), ["access"]);
    assert_eq!(log.first(HookKind::Access).query.unwrap().where_, id_eq(1));
    log.clear();
    assert_eq!(
        m.count(Some(Where::eq("qty", 1)), &opts()).await.unwrap(),
        1
    );
    assert_eq!(log.names(), ["access"]);
    assert_eq!(
        log.first(HookKind::Access).query.unwrap().where_,
        Some(Where::eq("qty", 1))
    );
}

pub async fn hooks_create_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let log = HookLog::attach(&m);
    let r = m.create(rec(json!({"name": "c"})), &opts()).await.unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(
        bs.instance.as_ref().map(to_json),
        Some(json!({"name": "c"}))
    );
    assert_eq!(bs.is_new_instance, Some(true));
    assert!(bs.data.is_none() && bs.where_.is_none() && bs.current_instance.is_none());
    let p = log.first(HookKind::Persist);
    assert_eq!(p.data.as_ref().map(to_json), Some(json!({"name": "c"})));
    assert_eq!(
        p.current_instance.as_ref().map(to_json),
        Some(json!({"name": "c"}))
    );
    assert_eq!(p.is_new_instance, Some(true));
    assert!(p.instance.is_none());
    let l = log.first(HookKind::Loaded);
    assert_eq!(
        l.data.as_ref().map(to_json),
        Some(json!({"id": id_of(&r), "name": "c"}))
    );
    assert_eq!(l.is_new_instance, Some(true));
    let a = log.first(HookKind::AfterSave);
    assert_eq!(
        a.instance.as_ref().map(to_json),
        Some(json!({"id": id_of(&r), "name": "c"}))
    );
    assert_eq!(a.is_new_instance, Some(true));
    assert!(log.contexts().iter().all(|c| c.model == "Product"));
}

pub async fn hooks_create_many_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let log = HookLog::attach(&m);
    m.create_many(
        vec![rec(json!({"name": "c"})), rec(json!({"name": "d"}))],
        &opts(),
    )
    .await
    .unwrap();
    let one = ["before save", "persist", "loaded", "after save"];
    assert_eq!(log.names(), [one, one].concat());
    let saved: Vec<_> = log
        .contexts()
        .into_iter()
        .filter(|c| c.hook == HookKind::AfterSave)
        .map(|c| names(&[c.instance.unwrap()]))
        .collect();
    assert_eq!(saved, [["c"], ["d"]]);
}

pub async fn hooks_upsert_without_id_is_create(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let log = HookLog::attach(&m);
    m.upsert(rec(json!({"name": "c"})), &opts()).await.unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    assert_eq!(log.first(HookKind::BeforeSave).is_new_instance, Some(true));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(true));
}

pub async fn hooks_upsert_update_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = seeded_items(&env).await;
    let log = HookLog::attach(&m);
    m.upsert(rec(json!({"id": 1, "name": "z"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "loaded", "after save"]
    );
    assert_eq!(log.first(HookKind::Access).query.unwrap().where_, id_eq(1));
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(bs.where_, id_eq(1));
    assert_eq!(
        bs.data.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "z"}))
    );
    assert!(bs.instance.is_none());
    assert_eq!(bs.is_new_instance, None, "not known before the write");
    let p = log.first(HookKind::Persist);
    assert_eq!(p.where_, id_eq(1));
    assert_eq!(
        p.data.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "z"}))
    );
    assert_eq!(
        p.current_instance.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "z", "qty": 1}))
    );
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(false));
    let a = log.first(HookKind::AfterSave);
    assert_eq!(a.is_new_instance, Some(false));
    assert_eq!(
        a.instance.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "z", "qty": 1}))
    );
}

pub async fn hooks_upsert_create_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = seeded_items(&env).await;
    let log = HookLog::attach(&m);
    let up = m
        .upsert(rec(json!({"id": 10, "name": "ten"})), &opts())
        .await
        .unwrap();
    assert!(up.created);
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "loaded", "after save"]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(bs.where_, id_eq(10));
    assert_eq!(bs.is_new_instance, None);
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(true));
    let a = log.first(HookKind::AfterSave);
    assert_eq!(a.is_new_instance, Some(true));
    assert_eq!(
        a.instance.as_ref().map(to_json),
        Some(json!({"id": 10, "name": "ten"}))
    );
}

pub async fn hooks_upsert_under_force_id_loads_then_patches(fx: Fixture) {
    // LB3 with forceId: findById (access, loaded) then updateAttributes.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.upsert(rec(json!({"id": 1, "qty": 7})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        [
            "access",
            "loaded",
            "before save",
            "persist",
            "loaded",
            "after save"
        ]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(bs.where_, id_eq(1));
    assert_eq!(
        bs.data.as_ref().map(to_json),
        Some(json!({"id": 1, "qty": 7}))
    );
    assert_eq!(bs.current_instance.as_ref().map(id_of), Some(1));
    assert_eq!(log.last(HookKind::AfterSave).is_new_instance, Some(false));
    assert_eq!(
        stored(&m, 1).await.unwrap().get("qty"),
        Some(&Value::Int(7))
    );
}

pub async fn hooks_replace_or_create_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = seeded_items(&env).await;
    let log = HookLog::attach(&m);
    m.replace_or_create(rec(json!({"id": 1, "name": "z"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "loaded", "after save"]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(
        bs.instance.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "z"}))
    );
    assert_eq!(bs.is_new_instance, None);
    let p = log.first(HookKind::Persist);
    assert_eq!(p.where_, id_eq(1));
    assert_eq!(
        p.data.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "z"}))
    );
    assert!(p.current_instance.is_some());
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(false));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(false));
    log.clear();
    m.replace_or_create(rec(json!({"id": 20, "name": "twenty"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "loaded", "after save"]
    );
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(true));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(true));
}

pub async fn hooks_replace_or_create_under_force_id_is_replace_by_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.replace_or_create(rec(json!({"id": 2, "name": "bravo"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    assert_eq!(log.first(HookKind::BeforeSave).is_new_instance, Some(false));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(false));
}

pub async fn hooks_upsert_with_where_create_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.upsert_with_where(
        Some(Where::eq("name", "x")),
        rec(json!({"name": "x", "qty": 5})),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "loaded", "after save"]
    );
    assert_eq!(
        log.first(HookKind::Access).query.unwrap().where_,
        Some(Where::eq("name", "x"))
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(
        bs.instance.as_ref().map(to_json),
        Some(json!({"name": "x", "qty": 5}))
    );
    assert_eq!(bs.is_new_instance, Some(true));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(true));
}

pub async fn hooks_upsert_with_where_update_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.upsert_with_where(
        Some(Where::eq("name", "alpha")),
        rec(json!({"qty": 5})),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "loaded", "after save"]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(bs.where_, id_eq(1));
    assert_eq!(bs.data.as_ref().map(to_json), Some(json!({"qty": 5})));
    assert_eq!(bs.current_instance.as_ref().map(id_of), Some(1));
    assert_eq!(log.first(HookKind::Persist).is_new_instance, Some(false));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(false));
}

pub async fn hooks_find_or_create_found_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.find_or_create(
        Filter::with_where(Where::eq("name", "alpha")),
        rec(json!({"name": "alpha"})),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(log.names(), ["access", "loaded"]);
    assert_eq!(log.first(HookKind::Access).query.unwrap().limit, Some(1));
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(false));
}

pub async fn hooks_find_or_create_created_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.find_or_create(
        Filter::with_where(Where::eq("name", "x")),
        rec(json!({"name": "x"})),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "loaded", "after save"]
    );
    assert_eq!(log.first(HookKind::BeforeSave).is_new_instance, Some(true));
    assert_eq!(log.first(HookKind::Persist).is_new_instance, Some(true));
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(true));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(true));
}

pub async fn hooks_update_all_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    assert_eq!(
        m.update_all(
            Some(Where::eq("active", true)),
            rec(json!({"qty": 9})),
            &opts()
        )
        .await
        .unwrap(),
        3
    );
    assert_eq!(
        log.names(),
        ["access", "before save", "persist", "after save"]
    );
    for hook in [HookKind::BeforeSave, HookKind::Persist, HookKind::AfterSave] {
        let c = log.first(hook);
        assert_eq!(c.where_, Some(Where::eq("active", true)), "{hook}");
        assert_eq!(
            c.data.as_ref().map(to_json),
            Some(json!({"qty": 9})),
            "{hook}"
        );
        assert!(
            c.instance.is_none() && c.current_instance.is_none() && c.is_new_instance.is_none(),
            "{hook}"
        );
    }
    assert_eq!(
        log.first(HookKind::AfterSave).count,
        Some(3),
        "after save reports info.count"
    );
}

pub async fn hooks_destroy_all_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    assert_eq!(
        m.destroy_all(Some(Where::eq("active", false)), &opts())
            .await
            .unwrap(),
        2
    );
    assert_eq!(log.names(), ["access", "before delete", "after delete"]);
    let bd = log.first(HookKind::BeforeDelete);
    assert_eq!(bd.where_, Some(Where::eq("active", false)));
    assert!(bd.instance.is_none());
    let ad = log.first(HookKind::AfterDelete);
    assert_eq!(ad.where_, Some(Where::eq("active", false)));
    assert_eq!(ad.count, Some(2));
}

pub async fn hooks_destroy_by_id_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.destroy_by_id(Value::Int(1), &opts()).await.unwrap();
    assert_eq!(log.names(), ["access", "before delete", "after delete"]);
    assert_eq!(log.first(HookKind::BeforeDelete).where_, id_eq(1));
    assert_eq!(log.first(HookKind::AfterDelete).count, Some(1));
    log.clear();
    m.destroy_by_id(Value::Int(1), &opts()).await.unwrap();
    assert_eq!(log.first(HookKind::AfterDelete).count, Some(0));
}

pub async fn hooks_replace_by_id_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.replace_by_id(Value::Int(1), rec(json!({"name": "q"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(
        bs.instance.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "q"}))
    );
    assert_eq!(bs.is_new_instance, Some(false));
    let p = log.first(HookKind::Persist);
    assert_eq!(p.where_, id_eq(1));
    assert_eq!(
        p.data.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "q"}))
    );
    assert_eq!(
        p.current_instance.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "q"}))
    );
    assert_eq!(p.is_new_instance, Some(false));
    assert_eq!(
        log.first(HookKind::Loaded).data.as_ref().map(to_json),
        Some(json!({"id": 1, "name": "q"}))
    );
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(false));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(false));
    // prototype.replaceAttributes is replaceById with the instance's id.
    let inst = stored(&m, 2).await.unwrap();
    log.clear();
    m.replace_attributes(&inst, rec(json!({"name": "r"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    assert_eq!(log.first(HookKind::Persist).where_, id_eq(2));
}

pub async fn hooks_patch_attributes_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 1).await.unwrap();
    let log = HookLog::attach(&m);
    m.patch_attributes(&inst, rec(json!({"qty": 3})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(bs.where_, id_eq(1));
    assert_eq!(bs.data.as_ref().map(to_json), Some(json!({"qty": 3})));
    assert_eq!(
        bs.current_instance.as_ref().map(to_json),
        Some(to_json(&inst))
    );
    assert!(bs.instance.is_none());
    assert_eq!(bs.is_new_instance, None);
    let p = log.first(HookKind::Persist);
    assert_eq!(p.where_, id_eq(1));
    assert_eq!(p.data.as_ref().map(to_json), Some(json!({"qty": 3})));
    assert_eq!(
        p.current_instance
            .as_ref()
            .and_then(|c| c.get("qty").cloned()),
        Some(Value::Int(3))
    );
    assert_eq!(p.is_new_instance, Some(false));
    let l = log.first(HookKind::Loaded);
    assert_eq!(
        l.data.as_ref().map(to_json),
        Some(json!({"qty": 3})),
        "loaded sees the written data"
    );
    assert_eq!(l.is_new_instance, Some(false));
    let a = log.first(HookKind::AfterSave);
    assert_eq!(
        a.instance.as_ref().and_then(|c| c.get("qty").cloned()),
        Some(Value::Int(3))
    );
    assert_eq!(
        a.instance.as_ref().and_then(|c| c.get("name").cloned()),
        Some(Value::from("alpha"))
    );
    assert_eq!(a.is_new_instance, Some(false));
}

pub async fn hooks_patch_by_id_loads_first(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.patch_by_id(Value::Int(2), rec(json!({"qty": 20})), &opts())
        .await
        .unwrap();
    assert_eq!(
        log.names(),
        [
            "access",
            "loaded",
            "before save",
            "persist",
            "loaded",
            "after save"
        ]
    );
    assert_eq!(log.first(HookKind::Access).query.unwrap().where_, id_eq(2));
    log.clear();
    assert!(m
        .patch_by_id(Value::Int(99), rec(json!({"qty": 1})), &opts())
        .await
        .is_err());
    assert_eq!(log.names(), ["access"]);
}

pub async fn hooks_save_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let mut inst = stored(&m, 1).await.unwrap();
    inst.insert("qty", 7);
    let log = HookLog::attach(&m);
    m.save(inst, &opts()).await.unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    let bs = log.first(HookKind::BeforeSave);
    assert_eq!(
        bs.instance.as_ref().and_then(|c| c.get("qty").cloned()),
        Some(Value::Int(7))
    );
    assert_eq!(bs.is_new_instance, None);
    let p = log.first(HookKind::Persist);
    assert_eq!(p.where_, id_eq(1));
    assert_eq!(
        p.data.as_ref().and_then(|c| c.get("qty").cloned()),
        Some(Value::Int(7))
    );
    assert!(p.current_instance.is_some());
    assert_eq!(p.is_new_instance, None);
    assert_eq!(log.first(HookKind::Loaded).is_new_instance, Some(false));
    assert_eq!(log.first(HookKind::AfterSave).is_new_instance, Some(false));
}

pub async fn hooks_save_new_instance_is_create(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    m.save(rec(json!({"name": "n"})), &opts()).await.unwrap();
    assert_eq!(
        log.names(),
        ["before save", "persist", "loaded", "after save"]
    );
    assert!(log
        .contexts()
        .iter()
        .all(|c| c.is_new_instance == Some(true)));
}

pub async fn hooks_delete_instance_sequence_and_context(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 1).await.unwrap();
    let log = HookLog::attach(&m);
    assert_eq!(m.delete_instance(&inst, &opts()).await.unwrap(), 1);
    assert_eq!(log.names(), ["access", "before delete", "after delete"]);
    assert_eq!(log.first(HookKind::Access).query.unwrap().where_, id_eq(1));
    let bd = log.first(HookKind::BeforeDelete);
    assert_eq!(bd.where_, id_eq(1));
    assert_eq!(bd.instance.as_ref().map(to_json), Some(to_json(&inst)));
    let ad = log.first(HookKind::AfterDelete);
    assert_eq!(ad.where_, id_eq(1));
    assert_eq!(ad.instance.as_ref().map(id_of), Some(1));
    assert_eq!(ad.count, Some(1));
}

pub async fn hooks_reload_sequence(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 1).await.unwrap();
    let log = HookLog::attach(&m);
    m.reload(&inst, &opts()).await.unwrap();
    assert_eq!(log.names(), ["access", "loaded"]);
}

pub async fn hooks_hook_state_is_shared_within_one_operation(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    for hook in [
        HookKind::Access,
        HookKind::BeforeSave,
        HookKind::Persist,
        HookKind::Loaded,
        HookKind::AfterSave,
    ] {
        let seen = seen.clone();
        on(&m, hook, move |ctx| {
            let n = ctx
                .hook_state
                .get("n")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            seen.lock().unwrap().push(format!("{}:{n}", ctx.hook));
            ctx.hook_state.insert("n".into(), json!(n + 1));
            Ok(())
        });
    }
    m.update_all(Some(Where::eq("id", 1)), rec(json!({"qty": 2})), &opts())
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        ["access:0", "before save:1", "persist:2", "after save:3"]
    );
    seen.lock().unwrap().clear();
    m.create(rec(json!({"name": "x"})), &opts()).await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        ["before save:0", "persist:1", "loaded:2", "after save:3"],
        "each call starts afresh"
    );
    seen.lock().unwrap().clear();
    m.upsert(rec(json!({"id": 2, "qty": 5})), &opts())
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "access:0",
            "loaded:1",
            "before save:2",
            "persist:3",
            "loaded:4",
            "after save:5"
        ]
    );
}

pub async fn hooks_options_reach_every_hook(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    let o = Options::new().with("tenant", "t1");
    m.create(rec(json!({"name": "x"})), &o).await.unwrap();
    m.find(Filter::new(), &o).await.unwrap();
    m.update_all(None, rec(json!({"qty": 1})), &o)
        .await
        .unwrap();
    m.patch_by_id(Value::Int(1), rec(json!({"qty": 2})), &o)
        .await
        .unwrap();
    m.destroy_all(Some(Where::eq("id", 2)), &o).await.unwrap();
    let ctxs = log.contexts();
    assert!(ctxs.len() > 15, "{:?}", log.names());
    assert!(ctxs
        .iter()
        .all(|c| c.options.get("tenant") == Some(&json!("t1"))));
    let seen: std::collections::BTreeSet<_> = ctxs.iter().map(|c| c.hook.as_str()).collect();
    assert_eq!(seen.len(), 7, "every hook fired: {seen:?}");
}

fn only_active(m: &ModelHandle) {
    on(m, HookKind::Access, |ctx| {
        ctx.query = Some(
            ctx.query
                .take()
                .unwrap_or_default()
                .and_where(Where::eq("active", true)),
        );
        Ok(())
    });
}

pub async fn hooks_access_restricts_queries(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    only_active(&m);
    assert_eq!(
        sorted_ids(&m.find(Filter::new(), &opts()).await.unwrap()),
        [1, 3, 5]
    );
    assert_eq!(
        ids(&m
            .find(
                filter(&m, json!({"where": {"qty": {"gt": 1}}, "order": "qty ASC"})),
                &opts()
            )
            .await
            .unwrap()),
        [3, 5]
    );
    assert_eq!(m.count(None, &opts()).await.unwrap(), 3);
    assert_eq!(
        m.find_by_id(Value::Int(2), None, &opts()).await.unwrap(),
        None
    );
    assert!(!m.exists(Value::Int(2), &opts()).await.unwrap());
    assert!(m
        .find_one(Filter::with_where(Where::eq("name", "beta")), &opts())
        .await
        .unwrap()
        .is_none());
}

pub async fn hooks_access_restricts_writes_and_deletes(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    only_active(&m);
    assert_eq!(
        m.update_all(None, rec(json!({"tag": "z"})), &opts())
            .await
            .unwrap(),
        3
    );
    let err = m
        .patch_by_id(Value::Int(2), rec(json!({"qty": 0})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
    assert_eq!(m.destroy_by_id(Value::Int(4), &opts()).await.unwrap(), 0);
    assert_eq!(m.destroy_all(None, &opts()).await.unwrap(), 3);
    m.observers().clear(HookKind::Access);
    let rest = all(&m).await;
    assert_eq!(ids(&rest), [2, 4]);
    assert_eq!(strings(&rest, "tag"), ["y", "y"]);
    assert_eq!(rest[0].get("qty"), Some(&Value::Int(2)));
}

pub async fn hooks_before_save_changes_instance(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    on(&m, HookKind::BeforeSave, |ctx| {
        if let Some(i) = ctx.instance.as_mut() {
            i.insert("tag", "stamped");
            i.insert("qty", "3");
        }
        Ok(())
    });
    let r = m.create(rec(json!({"name": "x"})), &opts()).await.unwrap();
    assert_eq!(r.get("tag"), Some(&Value::from("stamped")));
    assert_eq!(
        r.get("qty"),
        Some(&Value::Int(3)),
        "changes made by hooks are coerced too"
    );
    let id = id_of(&r);
    assert_eq!(
        stored(&m, id).await.unwrap().get("tag"),
        Some(&Value::from("stamped"))
    );
    let r = m
        .replace_by_id(Value::Int(id), rec(json!({"name": "y"})), &opts())
        .await
        .unwrap();
    assert_eq!(r.get("tag"), Some(&Value::from("stamped")));
    assert_eq!(
        to_json(&stored(&m, id).await.unwrap()),
        json!({"id": id, "name": "y", "tag": "stamped", "qty": 3})
    );
}

pub async fn hooks_before_save_changes_data(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    on(&m, HookKind::BeforeSave, |ctx| {
        if let Some(d) = ctx.data.as_mut() {
            d.insert("tag", "touched");
            d.remove("price");
        }
        Ok(())
    });
    m.update_all(
        Some(Where::eq("id", 1)),
        rec(json!({"qty": 10, "price": 0})),
        &opts(),
    )
    .await
    .unwrap();
    let s = stored(&m, 1).await.unwrap();
    assert_eq!(to_json(&s)["tag"], json!("touched"));
    assert_eq!(to_json(&s)["qty"], json!(10));
    assert_eq!(
        to_json(&s)["price"],
        json!(10.5),
        "a property removed from ctx.data is not written"
    );
    let r = m
        .patch_by_id(Value::Int(2), rec(json!({"qty": 20, "price": 0})), &opts())
        .await
        .unwrap();
    assert_eq!(r.get("tag"), Some(&Value::from("touched")));
    assert_eq!(r.get("price"), Some(&Value::Int(20)));
    assert_eq!(to_json(&stored(&m, 2).await.unwrap())["price"], json!(20));
}

pub async fn hooks_persist_changes_stored_data_only(fx: Fixture) {
    // LB3: changes made in `persist` reach the data source but not the instance returned by
    // create (unless `updateOnLoad`).
    let env = Env::new(fx);
    let m = env.product().await;
    on(&m, HookKind::Persist, |ctx| {
        if let Some(d) = ctx.data.as_mut() {
            d.insert("tag", "encrypted");
        }
        Ok(())
    });
    let r = m
        .create(rec(json!({"name": "x", "tag": "plain"})), &opts())
        .await
        .unwrap();
    assert_eq!(r.get("tag"), Some(&Value::from("plain")));
    let s = m
        .find_by_id(r.get("id").cloned().unwrap(), None, &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.get("tag"), Some(&Value::from("encrypted")));
    m.update_all(None, rec(json!({"tag": "plain2"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        stored(&m, id_of(&r)).await.unwrap().get("tag"),
        Some(&Value::from("encrypted"))
    );
}

pub async fn hooks_loaded_changes_results(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    on(&m, HookKind::Loaded, |ctx| {
        if let Some(d) = ctx.data.as_mut() {
            if let Some(Value::String(n)) = d.get("name").cloned() {
                d.insert("name", n.to_uppercase());
            }
        }
        Ok(())
    });
    assert_eq!(
        names(&all(&m).await),
        ["ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON"]
    );
    assert_eq!(
        m.find_by_id(Value::Int(2), None, &opts())
            .await
            .unwrap()
            .map(|r| names(&[r])),
        Some(vec!["BETA".to_owned()])
    );
    let r = m
        .replace_by_id(Value::Int(3), rec(json!({"name": "gee"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        r.get("name"),
        Some(&Value::from("GEE")),
        "replace returns what `loaded` made of the data"
    );
    let r = m
        .create(rec(json!({"name": "new"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        r.get("name"),
        Some(&Value::from("new")),
        "create ignores `loaded` changes without updateOnLoad"
    );
    m.observers().clear(HookKind::Loaded);
    assert_eq!(
        m.count(Some(Where::eq("name", "alpha")), &opts())
            .await
            .unwrap(),
        1,
        "nothing was written"
    );
    assert_eq!(
        m.count(Some(Where::eq("name", "gee")), &opts())
            .await
            .unwrap(),
        1
    );
}

pub async fn hooks_after_save_changes_are_returned_not_stored(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    on(&m, HookKind::AfterSave, |ctx| {
        if let Some(i) = ctx.instance.as_mut() {
            i.insert("tag", "decorated");
        }
        Ok(())
    });
    let r = m.create(rec(json!({"name": "x"})), &opts()).await.unwrap();
    assert_eq!(r.get("tag"), Some(&Value::from("decorated")));
    assert!(stored(&m, id_of(&r))
        .await
        .unwrap()
        .get("tag")
        .map_or(true, Value::is_null));
}

pub async fn hooks_before_delete_changes_where(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    on(&m, HookKind::BeforeDelete, |ctx| {
        ctx.where_ = Some(Where::eq("qty", 5));
        Ok(())
    });
    assert_eq!(m.destroy_by_id(Value::Int(1), &opts()).await.unwrap(), 1);
    m.observers().clear(HookKind::BeforeDelete);
    assert_eq!(ids(&all(&m).await), [1, 2, 3, 4]);
}

pub async fn hooks_abort_before_save_writes_nothing(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let log = HookLog::attach(&m);
    on(&m, HookKind::BeforeSave, |_| {
        Err(Error::http(400, "refused by hook"))
    });
    let err = m
        .create(rec(json!({"name": "x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(err.to_string(), "refused by hook");
    assert_eq!(
        log.names(),
        ["before save"],
        "no hook after the failing one"
    );
    assert!(m
        .update_all(None, rec(json!({"qty": 0})), &opts())
        .await
        .is_err());
    assert!(m
        .patch_by_id(Value::Int(1), rec(json!({"qty": 0})), &opts())
        .await
        .is_err());
    assert!(m
        .replace_by_id(Value::Int(1), rec(json!({"name": "r"})), &opts())
        .await
        .is_err());
    assert!(m
        .upsert(rec(json!({"id": 1, "qty": 0})), &opts())
        .await
        .is_err());
    m.observers().clear(HookKind::BeforeSave);
    assert_eq!(count(&m).await, 5);
    assert_eq!(
        m.count(Some(Where::eq("qty", 0)), &opts()).await.unwrap(),
        0
    );
    assert_eq!(
        stored(&m, 1).await.unwrap().get("name"),
        Some(&Value::from("alpha"))
    );
}

pub async fn hooks_abort_persist_writes_nothing(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    on(&m, HookKind::Persist, |_| Err(Error::http(409, "not now")));
    let err = m
        .create(rec(json!({"name": "x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 409);
    assert!(m
        .update_all(None, rec(json!({"qty": 0})), &opts())
        .await
        .is_err());
    assert!(m.save(stored(&m, 1).await.unwrap(), &opts()).await.is_err());
    assert_eq!(count(&m).await, 5);
    assert_eq!(
        m.count(Some(Where::eq("qty", 0)), &opts()).await.unwrap(),
        0
    );
}

pub async fn hooks_abort_access_and_before_delete(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    on(&m, HookKind::BeforeDelete, |_| {
        Err(Error::http(
            400,
            "Client has an active subscription, cannot delete",
        ))
    });
    let err = m.destroy_by_id(Value::Int(1), &opts()).await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(m.destroy_all(None, &opts()).await.is_err());
    assert!(m
        .delete_instance(&stored(&m, 2).await.unwrap(), &opts())
        .await
        .is_err());
    assert_eq!(count(&m).await, 5);
    on(&m, HookKind::Access, |_| Err(Error::http(403, "no access")));
    for r in [
        m.find(Filter::new(), &opts()).await.map(|_| ()),
        m.count(None, &opts()).await.map(|_| ()),
    ] {
        assert_eq!(r.unwrap_err().status(), 403);
    }
    assert_eq!(
        m.update_all(None, rec(json!({"qty": 0})), &opts())
            .await
            .unwrap_err()
            .status(),
        403
    );
    m.observers().clear(HookKind::Access);
    assert_eq!(
        m.count(Some(Where::eq("qty", 0)), &opts()).await.unwrap(),
        0
    );
}

pub async fn hooks_observers_run_in_registration_order(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    for name in ["first", "second", "third"] {
        let seen = seen.clone();
        on(&m, HookKind::BeforeSave, move |ctx| {
            seen.lock().unwrap().push(name);
            let i = ctx.instance.as_mut().unwrap();
            let trail = i
                .get("tag")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            i.insert("tag", format!("{trail}{}", &name[..1]));
            Ok(())
        });
    }
    let r = m.create(rec(json!({"name": "x"})), &opts()).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), ["first", "second", "third"]);
    assert_eq!(
        r.get("tag"),
        Some(&Value::from("fst")),
        "each observer sees the previous one's changes"
    );
}

pub async fn hooks_base_model_observers_run_first(fx: Fixture) {
    let env = Env::new(fx);
    let base = env
        .define(json!({"name": "Animal", "properties": {"name": "string"}}))
        .await;
    let dog = env
        .define(json!({"name": "Dog", "base": "Animal", "properties": {"breed": "string"}}))
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    on(&dog, HookKind::BeforeSave, move |ctx| {
        s.lock().unwrap().push(format!("dog:{}", ctx.model));
        Ok(())
    });
    let s = seen.clone();
    on(&base, HookKind::BeforeSave, move |ctx| {
        s.lock().unwrap().push(format!("animal:{}", ctx.model));
        Ok(())
    });
    dog.create(rec(json!({"name": "rex", "breed": "lab"})), &opts())
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["animal:Dog", "dog:Dog"]);
    seen.lock().unwrap().clear();
    base.create(rec(json!({"name": "cat"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        ["animal:Animal"],
        "a base model does not run its children's observers"
    );
    assert_eq!(count(&dog).await, 1);
}

pub async fn hooks_before_save_runs_before_validation(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    on(&m, HookKind::BeforeSave, |ctx| {
        if let Some(i) = ctx.instance.as_mut() {
            if i.get("name").is_none() {
                i.insert("name", "filled in");
            }
        }
        Ok(())
    });
    let r = m.create(rec(json!({"qty": 1})), &opts()).await.unwrap();
    assert_eq!(r.get("name"), Some(&Value::from("filled in")));
}
