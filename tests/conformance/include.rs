//! `include`, after juggler's include.test.js: every relation kind, the string / array /
//! object / nested forms, include scopes (`where`, `fields`, `order`, `limit`, `skip`,
//! `include`) applied per parent, `fields` on the parents, include on findOne / findById and on
//! relation queries, `disableInclude`, the 400s for bad includes, and the query counts of
//! batched inclusion (one query per relation level, two for through relations, however many
//! parents) on a counting connector.

use std::sync::Arc;

use loopback::relation::MAX_INCLUDE_DEPTH;
use loopback::{Error, Filter, ModelHandle, ParseOptions, Record, Value};
use serde_json::json;

use super::wrapped::WrappedConnector;
use super::*;

/// The library used by most cases.
struct Lib {
    author: ModelHandle,
    book: ModelHandle,
    chapter: ModelHandle,
    profile: ModelHandle,
    reader: ModelHandle,
}

fn library_json() -> Vec<serde_json::Value> {
    vec![
        json!({"name": "Author", "properties": {"name": "string"},
            "relations": {
                "books": {"type": "hasMany", "model": "Book"},
                "profile": {"type": "hasOne", "model": "Profile"},
                "secretBooks": {"type": "hasMany", "model": "Book", "foreignKey": "authorId",
                                "options": {"disableInclude": true}}}}),
        json!({"name": "Book", "properties": {"title": "string", "price": "number"},
            "relations": {
                "author": {"type": "belongsTo", "model": "Author"},
                "chapters": {"type": "hasMany", "model": "Chapter"},
                "tags": {"type": "hasAndBelongsToMany", "model": "Tag"},
                "readers": {"type": "hasMany", "model": "Reader", "through": "Loan"}}}),
        json!({"name": "Chapter", "properties": {"title": "string", "pages": "number"},
            "relations": {"book": {"type": "belongsTo", "model": "Book"}}}),
        json!({"name": "Profile", "properties": {"bio": "string", "secret": "string"},
            "hidden": ["secret"]}),
        json!({"name": "Tag", "properties": {"name": "string"}}),
        json!({"name": "Reader", "properties": {"name": "string"},
            "relations": {"loans": {"type": "hasMany", "model": "Loan"}}}),
        json!({"name": "Loan", "properties": {"days": "number"},
            "relations": {"book": {"type": "belongsTo", "model": "Book"},
                          "reader": {"type": "belongsTo", "model": "Reader"}}}),
    ]
}

/// Authors ann (1), bob (2), cid (3, no books); books b1 (30, ann), b2 (10, ann), b3 (20, bob),
/// b4 (5, no author); chapters c1, c2 of b1 and c3 of b3; ann's profile; tags t1, t2 with
/// b1-t1, b1-t2, b3-t2; readers r1, r2 with loans b1-r1, b1-r2, b2-r2.
async fn library(env: &Env) -> Lib {
    let ms = env.define_all(library_json()).await;
    let (author, book, chapter, profile, tag, reader, loan) = (
        ms[0].clone(),
        ms[1].clone(),
        ms[2].clone(),
        ms[3].clone(),
        ms[4].clone(),
        ms[5].clone(),
        ms[6].clone(),
    );
    seed(
        &author,
        &[
            r#"{"name": "ann"}"#,
            r#"{"name": "bob"}"#,
            r#"{"name": "cid"}"#,
        ],
    )
    .await;
    seed(
        &book,
        &[
            r#"{"title": "b1", "price": 30, "authorId": 1}"#,
            r#"{"title": "b2", "price": 10, "authorId": 1}"#,
            r#"{"title": "b3", "price": 20, "authorId": 2}"#,
            r#"{"title": "b4", "price": 5}"#,
        ],
    )
    .await;
    seed(
        &chapter,
        &[
            r#"{"title": "c1", "pages": 10, "bookId": 1}"#,
            r#"{"title": "c2", "pages": 20, "bookId": 1}"#,
            r#"{"title": "c3", "pages": 5, "bookId": 3}"#,
        ],
    )
    .await;
    seed(&profile, &[r#"{"bio": "ann bio", "authorId": 1}"#]).await;
    seed(&tag, &[r#"{"name": "t1"}"#, r#"{"name": "t2"}"#]).await;
    let book_tag = env
        .app
        .try_model("BookTag")
        .expect("implicit through model");
    seed(
        &book_tag,
        &[
            r#"{"bookId": 1, "tagId": 1}"#,
            r#"{"bookId": 1, "tagId": 2}"#,
            r#"{"bookId": 3, "tagId": 2}"#,
        ],
    )
    .await;
    seed(&reader, &[r#"{"name": "r1"}"#, r#"{"name": "r2"}"#]).await;
    seed(
        &loan,
        &[
            r#"{"bookId": 1, "readerId": 1, "days": 7}"#,
            r#"{"bookId": 1, "readerId": 2, "days": 14}"#,
            r#"{"bookId": 2, "readerId": 2, "days": 3}"#,
        ],
    )
    .await;
    Lib {
        author,
        book,
        chapter,
        profile,
        reader,
    }
}

// The library's rows as JSON.
fn a1() -> serde_json::Value {
    json!({"id": 1, "name": "ann"})
}
fn a2() -> serde_json::Value {
    json!({"id": 2, "name": "bob"})
}
fn a3() -> serde_json::Value {
    json!({"id": 3, "name": "cid"})
}
fn b1() -> serde_json::Value {
    json!({"id": 1, "title": "b1", "price": 30, "authorId": 1})
}
fn b2() -> serde_json::Value {
    json!({"id": 2, "title": "b2", "price": 10, "authorId": 1})
}
fn b3() -> serde_json::Value {
    json!({"id": 3, "title": "b3", "price": 20, "authorId": 2})
}
fn b4() -> serde_json::Value {
    json!({"id": 4, "title": "b4", "price": 5})
}
fn c1() -> serde_json::Value {
    json!({"id": 1, "title": "c1", "pages": 10, "bookId": 1})
}
fn c2() -> serde_json::Value {
    json!({"id": 2, "title": "c2", "pages": 20, "bookId": 1})
}
fn c3() -> serde_json::Value {
    json!({"id": 3, "title": "c3", "pages": 5, "bookId": 3})
}
fn p1() -> serde_json::Value {
    json!({"id": 1, "bio": "ann bio", "authorId": 1})
}
fn t1() -> serde_json::Value {
    json!({"id": 1, "name": "t1"})
}
fn t2() -> serde_json::Value {
    json!({"id": 2, "name": "t2"})
}
fn r1() -> serde_json::Value {
    json!({"id": 1, "name": "r1"})
}
fn r2() -> serde_json::Value {
    json!({"id": 2, "name": "r2"})
}

/// `base` with `extra`'s keys added.
fn with(base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    let mut o = base;
    for (k, v) in extra.as_object().expect("an object") {
        o[k] = v.clone();
    }
    o
}

/// Rows of a parsed filter (ordered by id unless it orders), as JSON.
async fn find_rows(m: &ModelHandle, j: serde_json::Value) -> serde_json::Value {
    rows_json(&find_json(m, j).await)
}

/// The error of a find with a filter given as JSON (parse errors included).
async fn find_err(m: &ModelHandle, j: serde_json::Value) -> Error {
    let f = match Filter::from_json(&j, &ParseOptions::for_model(&m.definition())) {
        Ok(f) => f,
        Err(e) => return e,
    };
    m.find(f, &opts()).await.expect_err("the find fails")
}

fn assert_err(e: &Error, status: u16, message: &str) {
    assert_eq!(e.status(), status, "status of {e:?}");
    assert_eq!(e.to_string(), message, "message of {e:?}");
}

// ----- relation kinds ------------------------------------------------------------------------

pub async fn include_belongs_to(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    assert_eq!(
        find_rows(&lib.book, json!({"include": "author"})).await,
        json!([
            with(b1(), json!({"author": a1()})),
            with(b2(), json!({"author": a1()})),
            with(b3(), json!({"author": a2()})),
            b4()
        ])
    );
    // A dangling foreign key includes nothing.
    lib.book
        .create(rec(json!({"title": "b5", "authorId": 99})), &opts())
        .await
        .unwrap();
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"title": "b5"}, "include": "author"})
        )
        .await,
        json!([{"id": 5, "title": "b5", "authorId": 99}])
    );
}

pub async fn include_has_many_and_has_one(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    assert_eq!(
        find_rows(&lib.author, json!({"include": ["books", "profile"]})).await,
        json!([
            with(a1(), json!({"books": [b1(), b2()], "profile": p1()})),
            with(a2(), json!({"books": [b3()]})),
            with(a3(), json!({"books": []}))
        ])
    );
    assert_eq!(
        find_rows(&lib.book, json!({"include": "chapters"})).await,
        json!([
            with(b1(), json!({"chapters": [c1(), c2()]})),
            with(b2(), json!({"chapters": []})),
            with(b3(), json!({"chapters": [c3()]})),
            with(b4(), json!({"chapters": []}))
        ])
    );
}

pub async fn include_has_many_through_and_habtm(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    assert_eq!(
        find_rows(&lib.book, json!({"include": ["readers", "tags"]})).await,
        json!([
            with(b1(), json!({"readers": [r1(), r2()], "tags": [t1(), t2()]})),
            with(b2(), json!({"readers": [r2()], "tags": []})),
            with(b3(), json!({"readers": [], "tags": [t2()]})),
            with(b4(), json!({"readers": [], "tags": []}))
        ])
    );
    // The through model's own belongsTo relations, as in the LB3 appointment example.
    let loan = env.app.try_model("Loan").unwrap();
    assert_eq!(
        find_rows(
            &loan,
            json!({"where": {"readerId": 2}, "include": ["reader", "book"]})
        )
        .await,
        json!([
            {"id": 2, "days": 14, "bookId": 1, "readerId": 2, "reader": r2(), "book": b1()},
            {"id": 3, "days": 3, "bookId": 2, "readerId": 2, "reader": r2(), "book": b2()}
        ])
    );
}

pub async fn include_polymorphic_and_embedded(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Author", "properties": {"name": "string"},
                "relations": {"pictures": {"type": "hasMany", "model": "Picture",
                                           "polymorphic": "imageable"}}}),
            json!({"name": "Reader", "properties": {"name": "string"},
                "relations": {"avatar": {"type": "hasOne", "model": "Picture",
                                         "polymorphic": "imageable"}}}),
            json!({"name": "Picture", "properties": {"url": "string"},
                "relations": {"imageable": {"type": "belongsTo", "polymorphic": true}}}),
            json!({"name": "Customer", "properties": {"name": "string"},
                "relations": {
                    "address": {"type": "embedsOne", "model": "Address",
                                "property": "billingAddress"},
                    "emails": {"type": "embedsMany", "model": "Email", "property": "emailList"},
                    "accounts": {"type": "referencesMany", "model": "Account"}}}),
            json!({"name": "Address", "base": "Model", "idInjection": false,
                "properties": {"street": "string"}}),
            json!({"name": "Email", "base": "Model",
                "properties": {"address": "string"},
                "relations": {"account": {"type": "belongsTo", "model": "Account"}}}),
            json!({"name": "Account", "properties": {"name": "string"}}),
        ])
        .await;
    let (author, reader, picture, customer, account) = (&ms[0], &ms[1], &ms[2], &ms[3], &ms[6]);
    seed(author, &[r#"{"name": "ann"}"#, r#"{"name": "al"}"#]).await;
    seed(reader, &[r#"{"name": "rita"}"#]).await;
    seed(
        picture,
        &[
            r#"{"url": "a.jpg", "imageableId": 1, "imageableType": "Author"}"#,
            r#"{"url": "r.jpg", "imageableId": 1, "imageableType": "Reader"}"#,
            r#"{"url": "b.jpg", "imageableId": 1, "imageableType": "Author"}"#,
            r#"{"url": "none.jpg"}"#,
        ],
    )
    .await;
    let pa = json!({"id": 1, "url": "a.jpg", "imageableId": 1, "imageableType": "Author"});
    let pr = json!({"id": 2, "url": "r.jpg", "imageableId": 1, "imageableType": "Reader"});
    let pb = json!({"id": 3, "url": "b.jpg", "imageableId": 1, "imageableType": "Author"});
    // Polymorphic belongsTo: one query per model named by the discriminators.
    assert_eq!(
        find_rows(picture, json!({"include": "imageable"})).await,
        json!([
            with(pa.clone(), json!({"imageable": {"id": 1, "name": "ann"}})),
            with(pr.clone(), json!({"imageable": {"id": 1, "name": "rita"}})),
            with(pb.clone(), json!({"imageable": {"id": 1, "name": "ann"}})),
            {"id": 4, "url": "none.jpg"}
        ])
    );
    // Polymorphic hasMany / hasOne: the discriminator selects the owner's model.
    assert_eq!(
        find_rows(author, json!({"include": "pictures"})).await,
        json!([
            {"id": 1, "name": "ann", "pictures": [pa, pb]},
            {"id": 2, "name": "al", "pictures": []}
        ])
    );
    assert_eq!(
        find_rows(reader, json!({"include": "avatar"})).await,
        json!([{"id": 1, "name": "rita", "avatar": pr}])
    );

    // Embedded relations and referencesMany; nested include from embedded items.
    seed(
        account,
        &[
            r#"{"name": "acc1"}"#,
            r#"{"name": "acc2"}"#,
            r#"{"name": "acc3"}"#,
        ],
    )
    .await;
    seed(
        customer,
        &[
            r#"{"name": "c1", "billingAddress": {"street": "1 Main"},
                "emailList": [{"id": 1, "address": "x@c", "accountId": 2},
                              {"id": 2, "address": "y@c"}],
                "accountIds": [3, 1]}"#,
            r#"{"name": "c2"}"#,
        ],
    )
    .await;
    let acc1 = json!({"id": 1, "name": "acc1"});
    let acc2 = json!({"id": 2, "name": "acc2"});
    let acc3 = json!({"id": 3, "name": "acc3"});
    let c1_stored = json!({"id": 1, "name": "c1", "billingAddress": {"street": "1 Main"},
        "emailList": [{"id": 1, "address": "x@c", "accountId": 2}, {"id": 2, "address": "y@c"}],
        "accountIds": [3, 1]});
    let c2_stored = json!({"id": 2, "name": "c2", "emailList": [], "accountIds": []});
    assert_eq!(
        find_rows(
            customer,
            json!({"include": ["address", {"emails": "account"}, "accounts"]})
        )
        .await,
        json!([
            with(
                c1_stored,
                json!({
                "address": {"street": "1 Main"},
                "emails": [{"id": 1, "address": "x@c", "accountId": 2, "account": acc2},
                           {"id": 2, "address": "y@c"}],
                "accounts": [acc3, acc1]})
            ),
            with(c2_stored, json!({"emails": [], "accounts": []}))
        ])
    );
}

// ----- forms ---------------------------------------------------------------------------------

pub async fn include_string_array_and_object_forms(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let expected = json!([
        with(a1(), json!({"books": [b1(), b2()]})),
        with(a2(), json!({"books": [b3()]})),
        with(a3(), json!({"books": []}))
    ]);
    for form in [
        json!("books"),
        json!(["books"]),
        json!({"books": true}),
        json!({"relation": "books"}),
        json!({"rel": "books"}),
        json!([{"relation": "books", "scope": {}}]),
    ] {
        assert_eq!(
            find_rows(&lib.author, json!({"include": form.clone()})).await,
            expected,
            "include {form}"
        );
    }
    // Built in Rust.
    assert_eq!(
        rows_json(
            &lib.author
                .find(
                    Filter::new()
                        .include("books")
                        .order_by("id", loopback::Direction::Asc),
                    &opts()
                )
                .await
                .unwrap()
        ),
        expected
    );
    // An empty include string includes nothing.
    assert_eq!(
        find_rows(&lib.author, json!({"include": ""})).await,
        json!([a1(), a2(), a3()])
    );
    // Invalid include values are 400s (include.test.js: true, a number).
    for bad in [json!(true), json!(3)] {
        let e = find_err(&lib.author, json!({"include": bad.clone()})).await;
        assert_err(
            &e,
            400,
            &format!(
                "Invalid include {bad}: expected a relation name, an array or an object \
                 (at `filter.include`)"
            ),
        );
    }
}

pub async fn include_nested(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // Three levels: chapter → book → author → profile.
    assert_eq!(
        find_rows(
            &lib.chapter,
            json!({"include": {"book": {"author": "profile"}}})
        )
        .await,
        json!([
            with(
                c1(),
                json!({"book": with(b1(), json!({"author": with(a1(), json!({"profile": p1()}))}))})
            ),
            with(
                c2(),
                json!({"book": with(b1(), json!({"author": with(a1(), json!({"profile": p1()}))}))})
            ),
            with(c3(), json!({"book": with(b3(), json!({"author": a2()}))}))
        ])
    );
    // `{owner: ['friends', 'orders']}`: several relations under one.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": {"lt": 3}}, "include": {"books": ["chapters", "tags", "readers"]}})
        )
        .await,
        json!([
            with(a1(), json!({"books": [
                with(b1(), json!({"chapters": [c1(), c2()], "tags": [t1(), t2()],
                                  "readers": [r1(), r2()]})),
                with(b2(), json!({"chapters": [], "tags": [], "readers": [r2()]}))]})),
            with(a2(), json!({"books": [
                with(b3(), json!({"chapters": [c3()], "tags": [t2()], "readers": []}))]}))
        ])
    );
    // `{owner: [{posts: 'images'}, 'orders']}`.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"include": [{"books": "chapters"}, "profile"]})
        )
        .await,
        json!([
            with(
                a1(),
                json!({"books": [with(b1(), json!({"chapters": [c1(), c2()]})),
                                        with(b2(), json!({"chapters": []}))],
                              "profile": p1()})
            ),
            with(
                a2(),
                json!({"books": [with(b3(), json!({"chapters": [c3()]}))]})
            ),
            with(a3(), json!({"books": []}))
        ])
    );
    // Back and forth through different relations (no relation repeats on the path).
    assert_eq!(
        find_rows(
            &lib.reader,
            json!({"where": {"id": 1}, "include": {"loans": {"book": "author"}}})
        )
        .await,
        json!([with(
            r1(),
            json!({"loans": [
            {"id": 1, "days": 7, "bookId": 1, "readerId": 1,
             "book": with(b1(), json!({"author": a1()}))}]})
        )])
    );
}

// ----- scopes --------------------------------------------------------------------------------

pub async fn include_scope_where_order_fields(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // fields without the key: the key is fetched to link the rows, then stripped.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"include": {"relation": "books", "scope": {
                "where": {"price": {"gt": 8}}, "order": "price ASC", "fields": ["title", "price"]}}})
        )
        .await,
        json!([
            with(a1(), json!({"books": [{"title": "b2", "price": 10}, {"title": "b1", "price": 30}]})),
            with(a2(), json!({"books": [{"title": "b3", "price": 20}]})),
            with(a3(), json!({"books": []}))
        ])
    );
    // fields naming the key keep it.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": 1}, "include": {"relation": "books",
                "scope": {"fields": ["title", "authorId"], "order": "title DESC"}}})
        )
        .await,
        json!([with(
            a1(),
            json!({"books": [{"title": "b2", "authorId": 1},
                                           {"title": "b1", "authorId": 1}]})
        )])
    );
    // Excluding fields: the excluded key is still used to link, then stripped.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": 2}, "include": {"relation": "books",
                "scope": {"fields": {"authorId": false, "price": false}}}})
        )
        .await,
        json!([with(a2(), json!({"books": [{"id": 3, "title": "b3"}]}))])
    );
    // belongsTo with fields on the target: the target's id is fetched and stripped.
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": {"lt": 3}}, "include": {"relation": "author",
                "scope": {"fields": ["name"]}}})
        )
        .await,
        json!([
            with(b1(), json!({"author": {"name": "ann"}})),
            with(b2(), json!({"author": {"name": "ann"}}))
        ])
    );
    // Through relations: where and order on the target.
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": 1}, "include": {"relation": "readers",
                "scope": {"where": {"name": {"neq": "r1"}}, "fields": ["name"]}}})
        )
        .await,
        json!([with(b1(), json!({"readers": [{"name": "r2"}]}))])
    );
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": 1}, "include": {"relation": "tags",
                "scope": {"order": "name DESC"}}})
        )
        .await,
        json!([with(b1(), json!({"tags": [t2(), t1()]}))])
    );
    // A belongsTo whose target fails the scope where is left out.
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": {"lt": 4}}, "include": {"relation": "author",
                "scope": {"where": {"name": "bob"}}}})
        )
        .await,
        json!([b1(), b2(), with(b3(), json!({"author": a2()}))])
    );
}

pub async fn include_scope_limit_and_skip_per_parent(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // limit applies to each parent, not to the whole related query.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"include": {"relation": "books", "scope": {"order": "price DESC", "limit": 1}}})
        )
        .await,
        json!([
            with(a1(), json!({"books": [b1()]})),
            with(a2(), json!({"books": [b3()]})),
            with(a3(), json!({"books": []}))
        ])
    );
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"include": {"relation": "books",
                "scope": {"order": "price DESC", "skip": 1, "limit": 1}}})
        )
        .await,
        json!([
            with(a1(), json!({"books": [b2()]})),
            with(a2(), json!({"books": []})),
            with(a3(), json!({"books": []}))
        ])
    );
    // `offset` is `skip`; without a limit it still pages per parent.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": {"lt": 3}}, "include": {"relation": "books",
                "scope": {"order": "price ASC", "offset": 1}}})
        )
        .await,
        json!([
            with(a1(), json!({"books": [b1()]})),
            with(a2(), json!({"books": []}))
        ])
    );
    // Through relations page per parent too.
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"include": {"relation": "readers", "scope": {"order": "name DESC", "limit": 1}}})
        )
        .await,
        json!([
            with(b1(), json!({"readers": [r2()]})),
            with(b2(), json!({"readers": [r2()]})),
            with(b3(), json!({"readers": []})),
            with(b4(), json!({"readers": []}))
        ])
    );
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": 1}, "include": {"relation": "tags",
                "scope": {"order": "name ASC", "skip": 1}}})
        )
        .await,
        json!([with(b1(), json!({"tags": [t2()]}))])
    );
}

pub async fn include_scope_include(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": {"lt": 3}}, "include": {"relation": "books",
                "scope": {"include": ["chapters", "tags"], "order": "title DESC"}}})
        )
        .await,
        json!([
            with(
                a1(),
                json!({"books": [
                with(b2(), json!({"chapters": [], "tags": []})),
                with(b1(), json!({"chapters": [c1(), c2()], "tags": [t1(), t2()]}))]})
            ),
            with(
                a2(),
                json!({"books": [with(b3(), json!({"chapters": [c3()], "tags": [t2()]}))]})
            )
        ])
    );
    // A scoped include inside a scope.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": 1}, "include": {"relation": "books", "scope": {
                "include": {"relation": "chapters", "scope": {"where": {"pages": {"gt": 15}}}}}}})
        )
        .await,
        json!([with(
            a1(),
            json!({"books": [
            with(b1(), json!({"chapters": [c2()]})),
            with(b2(), json!({"chapters": []}))]})
        )])
    );
}

// ----- fields on the parents -----------------------------------------------------------------

pub async fn include_fields_keep_and_strip_keys(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // hasMany reads the parent's id: fetched, then stripped (LB3 fails here instead).
    assert_eq!(
        find_rows(&lib.author, json!({"fields": ["name"], "include": "books"})).await,
        json!([
            {"name": "ann", "books": [b1(), b2()]},
            {"name": "bob", "books": [b3()]},
            {"name": "cid", "books": []}
        ])
    );
    // belongsTo reads the foreign key: stripped unless asked for.
    assert_eq!(
        find_rows(&lib.book, json!({"fields": ["title"], "include": "author"})).await,
        json!([
            {"title": "b1", "author": a1()},
            {"title": "b2", "author": a1()},
            {"title": "b3", "author": a2()},
            {"title": "b4"}
        ])
    );
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"fields": ["title", "authorId"], "include": "author"})
        )
        .await,
        json!([
            {"title": "b1", "authorId": 1, "author": a1()},
            {"title": "b2", "authorId": 1, "author": a1()},
            {"title": "b3", "authorId": 2, "author": a2()},
            {"title": "b4"}
        ])
    );
    // Excluding the foreign key.
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": {"lt": 3}}, "fields": {"authorId": false}, "include": "author"})
        )
        .await,
        json!([
            {"id": 1, "title": "b1", "price": 30, "author": a1()},
            {"id": 2, "title": "b2", "price": 10, "author": a1()}
        ])
    );
    // Through relations read the parent's id.
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": {"lt": 3}}, "fields": ["title"], "include": ["readers", "tags"]})
        )
        .await,
        json!([
            {"title": "b1", "readers": [r1(), r2()], "tags": [t1(), t2()]},
            {"title": "b2", "readers": [r2()], "tags": []}
        ])
    );
    // Nested: each level keeps what it was asked for.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": 1}, "fields": ["name"], "include": {"relation": "books",
                "scope": {"fields": ["title"], "include": {"relation": "chapters",
                    "scope": {"fields": ["title"]}}}}})
        )
        .await,
        json!([{"name": "ann", "books": [
            {"title": "b1", "chapters": [{"title": "c1"}, {"title": "c2"}]},
            {"title": "b2", "chapters": []}]}])
    );
}

// ----- entry points --------------------------------------------------------------------------

pub async fn include_on_find_one_and_find_by_id(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let one = lib
        .book
        .find_one(
            filter(
                &lib.book,
                json!({"where": {"title": "b3"}, "include": ["author", "chapters"]}),
            ),
            &opts(),
        )
        .await
        .unwrap()
        .expect("b3");
    assert_eq!(
        deep_json(&one),
        with(b3(), json!({"author": a2(), "chapters": [c3()]}))
    );
    let by_id = lib
        .book
        .find_by_id(
            Value::Int(1),
            Some(filter(
                &lib.book,
                json!({"include": {"relation": "chapters", "scope": {"order": "pages DESC"}}}),
            )),
            &opts(),
        )
        .await
        .unwrap()
        .expect("b1");
    assert_eq!(
        deep_json(&by_id),
        with(b1(), json!({"chapters": [c2(), c1()]}))
    );
    let by_id = lib
        .author
        .find_by_id(
            Value::Int(3),
            Some(filter(
                &lib.author,
                json!({"include": ["books", "profile"]}),
            )),
            &opts(),
        )
        .await
        .unwrap()
        .expect("cid");
    assert_eq!(deep_json(&by_id), with(a3(), json!({"books": []})));
    assert_eq!(
        lib.author
            .find_by_id(
                Value::Int(99),
                Some(filter(&lib.author, json!({"include": "books"}))),
                &opts(),
            )
            .await
            .unwrap(),
        None
    );
    // fields and include together on findById.
    let by_id = lib
        .book
        .find_by_id(
            Value::Int(2),
            Some(filter(
                &lib.book,
                json!({"fields": ["title"], "include": "author"}),
            )),
            &opts(),
        )
        .await
        .unwrap()
        .expect("b2");
    assert_eq!(deep_json(&by_id), json!({"title": "b2", "author": a1()}));
}

pub async fn include_on_relation_queries(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let ann = stored(&lib.author, 1).await.unwrap();
    let books = lib
        .author
        .related(&ann, "books")
        .unwrap()
        .find(
            filter(
                &lib.book,
                json!({"include": ["chapters", "author"], "order": "id ASC"}),
            ),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(
        rows_json(&books),
        json!([
            with(b1(), json!({"chapters": [c1(), c2()], "author": a1()})),
            with(b2(), json!({"chapters": [], "author": a1()}))
        ])
    );
    // Through a through relation, with a nested include.
    let b1_row = stored(&lib.book, 1).await.unwrap();
    let readers = lib
        .book
        .related(&b1_row, "readers")
        .unwrap()
        .find(
            filter(
                &lib.reader,
                json!({"include": {"loans": "book"}, "order": "id ASC"}),
            ),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(
        rows_json(&readers),
        json!([
            with(
                r1(),
                json!({"loans": [
                {"id": 1, "days": 7, "bookId": 1, "readerId": 1, "book": b1()}]})
            ),
            with(
                r2(),
                json!({"loans": [
                {"id": 2, "days": 14, "bookId": 1, "readerId": 2, "book": b1()},
                {"id": 3, "days": 3, "bookId": 2, "readerId": 2, "book": b2()}]})
            )
        ])
    );
    // belongsTo.
    let c3_row = stored(&lib.chapter, 3).await.unwrap();
    let book = lib
        .chapter
        .related(&c3_row, "book")
        .unwrap()
        .find(filter(&lib.book, json!({"include": "author"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        rows_json(&book),
        json!([with(b3(), json!({"author": a2()}))])
    );
    // An unknown relation in a relation query's include is the usual 400.
    let e = lib
        .author
        .related(&ann, "books")
        .unwrap()
        .find(filter(&lib.book, json!({"include": "nope"})), &opts())
        .await
        .unwrap_err();
    assert_err(&e, 400, r#"Relation "nope" is not defined for Book model"#);
}

pub async fn include_disable_include_is_skipped(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    assert_eq!(
        find_rows(&lib.author, json!({"include": ["books", "secretBooks"]})).await,
        json!([
            with(a1(), json!({"books": [b1(), b2()]})),
            with(a2(), json!({"books": [b3()]})),
            with(a3(), json!({"books": []}))
        ])
    );
    assert_eq!(
        find_rows(&lib.author, json!({"include": "secretBooks"})).await,
        json!([a1(), a2(), a3()])
    );
    // Nested under an included relation too.
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": 3}, "include": {"author": "secretBooks"}})
        )
        .await,
        json!([with(b3(), json!({"author": a2()}))])
    );
    // The relation itself still works.
    let ann = stored(&lib.author, 1).await.unwrap();
    let secret = lib
        .author
        .related(&ann, "secretBooks")
        .unwrap()
        .find(
            Filter::new().order_by("id", loopback::Direction::Asc),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(rows_json(&secret), json!([b1(), b2()]));
}

// ----- bad input -----------------------------------------------------------------------------

pub async fn include_unknown_relation_is_400(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let e = find_err(&lib.author, json!({"include": "nope"})).await;
    assert_err(
        &e,
        400,
        r#"Relation "nope" is not defined for Author model"#,
    );
    let e = find_err(&lib.author, json!({"include": ["books", "nope"]})).await;
    assert_err(
        &e,
        400,
        r#"Relation "nope" is not defined for Author model"#,
    );
    let e = find_err(&lib.author, json!({"include": {"books": "nope"}})).await;
    assert_err(&e, 400, r#"Relation "nope" is not defined for Book model"#);
    let e = find_err(
        &lib.author,
        json!({"include": {"relation": "books", "scope": {"include": "nope"}}}),
    )
    .await;
    assert_err(&e, 400, r#"Relation "nope" is not defined for Book model"#);
    // Properties are not relations.
    let e = find_err(&lib.author, json!({"include": "name"})).await;
    assert_err(
        &e,
        400,
        r#"Relation "name" is not defined for Author model"#,
    );
    // Unknown top-level relations fail even without rows.
    let e = find_err(&lib.author, json!({"where": {"id": 99}, "include": "nope"})).await;
    assert_err(
        &e,
        400,
        r#"Relation "nope" is not defined for Author model"#,
    );
    let e = lib
        .author
        .find_by_id(
            Value::Int(1),
            Some(filter(&lib.author, json!({"include": "nope"}))),
            &opts(),
        )
        .await
        .unwrap_err();
    assert_err(
        &e,
        400,
        r#"Relation "nope" is not defined for Author model"#,
    );
    let e = lib
        .author
        .find_one(filter(&lib.author, json!({"include": "nope"})), &opts())
        .await
        .unwrap_err();
    assert_err(
        &e,
        400,
        r#"Relation "nope" is not defined for Author model"#,
    );
}

/// A model whose relations r1..r7 all lead back to it, so that includes can nest without
/// repeating a relation.
fn node_json() -> serde_json::Value {
    let rels: serde_json::Map<String, serde_json::Value> = (1..=MAX_INCLUDE_DEPTH + 1)
        .map(|i| {
            (
                format!("r{i}"),
                json!({"type": "belongsTo", "model": "Node", "foreignKey": "parentId"}),
            )
        })
        .collect();
    json!({"name": "Node", "properties": {"name": "string"}, "relations": rels})
}

/// `{r1: {r2: ... "r<depth>"}}`.
fn chain(depth: usize) -> serde_json::Value {
    chain_from(1, depth)
}

/// `{r<from>: {... "r<to>"}}`.
fn chain_from(from: usize, to: usize) -> serde_json::Value {
    let mut inc = json!(format!("r{to}"));
    for i in (from..to).rev() {
        inc = json!({ format!("r{i}"): inc });
    }
    inc
}

pub async fn include_too_deep_is_400(fx: Fixture) {
    let env = Env::new(fx);
    let node = env.define_all(vec![node_json()]).await.remove(0);
    let too_deep = MAX_INCLUDE_DEPTH + 1;
    let message = format!(
        "include is nested too deeply: more than {MAX_INCLUDE_DEPTH} levels ({})",
        (1..too_deep)
            .map(|i| format!("Node.r{i}"))
            .collect::<Vec<_>>()
            .join(" → ")
    );
    // Refused whether or not there are rows to include for.
    let e = find_err(&node, json!({"include": chain(too_deep)})).await;
    assert_err(&e, 400, &message);

    // A node that is its own parent: every level finds it.
    seed(&node, &[r#"{"name": "loop", "parentId": 1}"#]).await;
    let e = find_err(&node, json!({"include": chain(too_deep)})).await;
    assert_err(&e, 400, &message);
    let e = find_err(
        &node,
        json!({"include": {"relation": "r1", "scope": {"include": chain_from(2, too_deep)}}}),
    )
    .await;
    assert_err(&e, 400, &message);

    // The deepest include accepted.
    let mut expected = json!({"id": 1, "name": "loop", "parentId": 1});
    for i in (1..=MAX_INCLUDE_DEPTH).rev() {
        let mut outer = json!({"id": 1, "name": "loop", "parentId": 1});
        outer[format!("r{i}")] = expected;
        expected = outer;
    }
    assert_eq!(
        find_rows(&node, json!({"include": chain(MAX_INCLUDE_DEPTH)})).await,
        json!([expected])
    );
}

pub async fn include_repeated_relation_on_path_is_400(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let e = find_err(
        &lib.author,
        json!({"include": {"books": {"author": "books"}}}),
    )
    .await;
    assert_err(
        &e,
        400,
        "include repeats a relation on one path: Author.books → Book.author → Author.books",
    );
    let e = find_err(
        &lib.book,
        json!({"include": {"author": {"relation": "books", "scope": {"include": "author"}}}}),
    )
    .await;
    assert_err(
        &e,
        400,
        "include repeats a relation on one path: Book.author → Author.books → Book.author",
    );
    // Going back through another relation is fine; so is one relation on two paths.
    assert_eq!(
        find_rows(
            &lib.author,
            json!({"where": {"id": 2}, "include": [{"books": "author"}, {"profile": []}]})
        )
        .await,
        json!([with(
            a2(),
            json!({"books": [with(b3(), json!({"author": a2()}))]})
        )])
    );
    assert_eq!(
        find_rows(
            &lib.book,
            json!({"where": {"id": 3},
                "include": [{"author": "profile"}, {"chapters": {"book": "author"}}]})
        )
        .await,
        json!([with(
            b3(),
            json!({
            "author": a2(),
            "chapters": [with(c3(), json!({"book": with(b3(), json!({"author": a2()}))}))]})
        )])
    );
}

pub async fn include_scope_with_bad_where_fails(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // A hidden property of the target is refused in an include scope as in a direct query
    // (the scope is parsed again against the target model).
    let direct = find_err(&lib.profile, json!({"where": {"secret": "s"}})).await;
    assert_err(
        &direct,
        400,
        r#"Properties "secret" are not allowed in query (at `filter.where.secret`)"#,
    );
    let e = find_err(
        &lib.author,
        json!({"include": {"relation": "profile", "scope": {"where": {"secret": "s"}}}}),
    )
    .await;
    assert_err(
        &e,
        400,
        r#"Properties "secret" are not allowed in query (at `filter.where.secret`)"#,
    );
    let e = find_err(
        &lib.author,
        json!({"include": {"relation": "profile", "scope": {"order": "secret ASC"}}}),
    )
    .await;
    assert_err(
        &e,
        400,
        r#"Properties "secret" are not allowed in query (at `filter.order[0]`)"#,
    );
    // Nested under another relation, and without rows to include for.
    let e = find_err(
        &lib.book,
        json!({"where": {"id": 99}, "include": {"author": {"relation": "profile",
            "scope": {"where": {"secret": "s"}}}}}),
    )
    .await;
    // The author's scope is read against Author with the application's models, so the nested
    // profile scope is refused while the author level is read (the path is the nested one).
    assert_err(
        &e,
        400,
        r#"Properties "secret" are not allowed in query (at `filter.include[0].scope.where.secret`)"#,
    );
    // An unknown operator.
    let e = find_err(
        &lib.author,
        json!({"include": {"relation": "books", "scope": {"where": {"price": {"foo": 1}}}}}),
    )
    .await;
    assert_err(
        &e,
        400,
        "Unknown operator \"foo\"; to match a nested property use a dotted path \
         (\"price.foo\"), to compare with an object use {\"eq\": {...}} \
         (at `filter.include.scope.where.price.foo`)",
    );
    // A scope that is not a filter object.
    let e = find_err(
        &lib.author,
        json!({"include": {"relation": "books", "scope": "title"}}),
    )
    .await;
    assert_err(
        &e,
        400,
        r#"The scope of an include must be a filter object, not "title" (at `filter.include.scope`)"#,
    );
}

// ----- query counts --------------------------------------------------------------------------

/// The fixture's connector behind a [`WrappedConnector`].
fn counted(fx: Fixture) -> (Env, Arc<WrappedConnector>) {
    let (fx, counter) = WrappedConnector::counting(fx);
    (Env::new(fx), counter)
}

/// Creates `n` records from `row(i)`, i = 1..=n.
async fn seed_n(m: &ModelHandle, n: usize, row: impl Fn(usize) -> serde_json::Value) {
    let rows: Vec<Record> = (1..=n).map(|i| rec(row(i))).collect();
    m.create_many(rows, &opts()).await.expect("seed rows");
}

/// Runs a parsed filter and returns the rows and the number of connector `find`s it cost.
async fn finds_of(
    m: &ModelHandle,
    counter: &WrappedConnector,
    j: serde_json::Value,
) -> (Vec<Record>, usize) {
    let f = filter(m, j);
    counter.reset();
    let rows = m.find(f, &opts()).await.expect("find succeeds");
    (rows, counter.finds())
}

const MANY: usize = 500;

pub async fn include_query_count_belongs_to(fx: Fixture) {
    let (env, counter) = counted(fx);
    let lib = env.define_all(library_json()).await;
    let (author, book) = (&lib[0], &lib[1]);
    seed_n(author, MANY, |i| json!({"name": format!("a{i}")})).await;
    seed_n(
        book,
        MANY,
        |i| json!({"title": format!("b{i}"), "authorId": i}),
    )
    .await;

    let (rows, finds) = finds_of(
        book,
        &counter,
        json!({"where": {"id": 7}, "include": "author"}),
    )
    .await;
    assert_eq!(
        rows_json(&rows),
        json!([{"id": 7, "title": "b7", "authorId": 7, "author": {"id": 7, "name": "a7"}}])
    );
    assert_eq!(finds, 2, "one parent: the books, then their authors");

    let (rows, finds) = finds_of(book, &counter, json!({"include": "author"})).await;
    assert_eq!(rows.len(), MANY);
    for r in &rows {
        let id = id_of(r);
        assert_eq!(
            r.get("author").map(|a| a.to_json()),
            Some(json!({"id": id, "name": format!("a{id}")})),
            "author of book {id}"
        );
    }
    assert_eq!(
        finds, 2,
        "{MANY} parents: still the books, then their authors"
    );
    assert_eq!(counter.counts(), 0);
}

pub async fn include_query_count_has_many(fx: Fixture) {
    let (env, counter) = counted(fx);
    let lib = env.define_all(library_json()).await;
    let (author, book) = (&lib[0], &lib[1]);
    seed_n(author, MANY, |i| json!({"name": format!("a{i}")})).await;
    // Two books for each odd author, none for the even ones.
    seed_n(
        book,
        MANY,
        |i| json!({"title": format!("b{i}"), "authorId": 2 * ((i - 1) / 2) + 1}),
    )
    .await;

    let (rows, finds) = finds_of(
        author,
        &counter,
        json!({"where": {"id": 3}, "include": "books"}),
    )
    .await;
    assert_eq!(
        rows_json(&rows),
        json!([{"id": 3, "name": "a3", "books": [
            {"id": 3, "title": "b3", "authorId": 3},
            {"id": 4, "title": "b4", "authorId": 3}]}])
    );
    assert_eq!(finds, 2);

    let (rows, finds) = finds_of(author, &counter, json!({"include": "books"})).await;
    assert_eq!(rows.len(), MANY);
    for r in &rows {
        let id = id_of(r);
        let books = r.get("books").and_then(Value::as_array).expect("books");
        let book_ids: Vec<i64> = books
            .iter()
            .map(|b| b.as_object().map(id_of).expect("a book"))
            .collect();
        let expected: Vec<i64> = if id % 2 == 1 {
            vec![id, id + 1]
        } else {
            vec![]
        };
        assert_eq!(book_ids, expected, "books of author {id}");
    }
    assert_eq!(finds, 2);
}

pub async fn include_query_count_has_many_through(fx: Fixture) {
    let (env, counter) = counted(fx);
    let lib = env.define_all(library_json()).await;
    let (book, reader) = (&lib[1], &lib[5]);
    let loan = env.app.try_model("Loan").unwrap();
    seed_n(book, MANY, |i| json!({"title": format!("b{i}")})).await;
    seed_n(reader, 5, |i| json!({"name": format!("r{i}")})).await;
    // Book i is lent to reader (i mod 5) + 1.
    seed_n(&loan, MANY, |i| json!({"bookId": i, "readerId": i % 5 + 1})).await;

    let (rows, finds) = finds_of(
        book,
        &counter,
        json!({"where": {"id": 9}, "include": "readers"}),
    )
    .await;
    assert_eq!(
        rows_json(&rows),
        json!([{"id": 9, "title": "b9", "readers": [{"id": 5, "name": "r5"}]}])
    );
    assert_eq!(finds, 3, "the books, the loans, the readers");

    let (rows, finds) = finds_of(book, &counter, json!({"include": "readers"})).await;
    assert_eq!(rows.len(), MANY);
    for r in &rows {
        let id = id_of(r);
        let rid = id % 5 + 1;
        assert_eq!(
            r.get("readers").map(|a| a.to_json()),
            Some(json!([{"id": rid, "name": format!("r{rid}")}])),
            "readers of book {id}"
        );
    }
    assert_eq!(finds, 3);
}

pub async fn include_query_count_nested(fx: Fixture) {
    let (env, counter) = counted(fx);
    let lib = env.define_all(library_json()).await;
    let (author, book, chapter) = (&lib[0], &lib[1], &lib[2]);
    seed_n(author, MANY, |i| json!({"name": format!("a{i}")})).await;
    seed_n(
        book,
        MANY,
        |i| json!({"title": format!("b{i}"), "authorId": i}),
    )
    .await;
    seed_n(
        chapter,
        MANY,
        |i| json!({"title": format!("c{i}"), "bookId": i}),
    )
    .await;

    let (rows, finds) = finds_of(
        author,
        &counter,
        json!({"where": {"id": 5}, "include": {"books": "chapters"}}),
    )
    .await;
    assert_eq!(
        rows_json(&rows),
        json!([{"id": 5, "name": "a5", "books": [{"id": 5, "title": "b5", "authorId": 5,
            "chapters": [{"id": 5, "title": "c5", "bookId": 5}]}]}])
    );
    assert_eq!(finds, 3, "the authors, their books, the books' chapters");

    let (rows, finds) = finds_of(author, &counter, json!({"include": {"books": "chapters"}})).await;
    assert_eq!(rows.len(), MANY);
    for r in &rows {
        let id = id_of(r);
        assert_eq!(
            deep_json(r),
            json!({"id": id, "name": format!("a{id}"), "books": [
                {"id": id, "title": format!("b{id}"), "authorId": id,
                 "chapters": [{"id": id, "title": format!("c{id}"), "bookId": id}]}]}),
        );
    }
    assert_eq!(finds, 3);
}

/// Checks the wrapper itself: plain finds and counts are counted once each.
pub async fn include_query_count_without_include(fx: Fixture) {
    let (env, counter) = counted(fx);
    let lib = library(&env).await;
    let (rows, finds) = finds_of(&lib.book, &counter, json!({})).await;
    assert_eq!(rows.len(), 4);
    assert_eq!(finds, 1);
    counter.reset();
    assert_eq!(count(&lib.book).await, 4);
    assert_eq!((counter.finds(), counter.counts()), (0, 1));
    // An include whose parents are all filtered out costs no related query.
    let (rows, finds) = finds_of(
        &lib.author,
        &counter,
        json!({"where": {"id": 99}, "include": {"books": "chapters"}}),
    )
    .await;
    assert!(rows.is_empty());
    assert_eq!(finds, 1);
}
