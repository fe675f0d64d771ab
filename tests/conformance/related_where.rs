//! Filtering by the properties of related models (beyond LoopBack 3, `docs/relations.md`):
//! `{"books": {"some" | "none" | "every": {…}}}` and the dotted shorthand `{"author.name": …}`,
//! through every relation kind that joins by key (belongsTo, hasOne, hasMany, hasManyThrough,
//! hasAndBelongsToMany, polymorphic hasMany), nested, combined with `or`, in `count`,
//! `updateAll` and `destroyAll`, in include scopes, with the related model's default scope and
//! the relation scope applied, and the 400s for relations that cannot be joined.
//!
//! Every connector must give the same answers; SQL connectors compile the condition into one
//! statement (the query-count case checks it), the memory connector reads the related keys
//! first.

use loopback::{Condition, Error, Filter, ModelHandle, ParseOptions, Quantifier, Value};
use serde_json::json;

use super::wrapped::WrappedConnector;
use super::*;

struct Lib {
    author: ModelHandle,
    book: ModelHandle,
    chapter: ModelHandle,
}

fn library_json() -> Vec<serde_json::Value> {
    vec![
        json!({"name": "Author", "properties": {"name": "string"},
            "relations": {
                "books": {"type": "hasMany", "model": "Book"},
                "profile": {"type": "hasOne", "model": "Profile"},
                "home": {"type": "embedsOne", "model": "Address", "property": "homeAddress"},
                "favourites": {"type": "referencesMany", "model": "Book"},
                "pictures": {"type": "hasMany", "model": "Picture", "polymorphic": "imageable"}}}),
        json!({"name": "Book", "properties": {"title": "string", "price": "number"},
            "relations": {
                "author": {"type": "belongsTo", "model": "Author"},
                "chapters": {"type": "hasMany", "model": "Chapter"},
                "tags": {"type": "hasAndBelongsToMany", "model": "Tag"},
                "readers": {"type": "hasMany", "model": "Reader", "through": "Loan"},
                "pictures": {"type": "hasMany", "model": "Picture", "polymorphic": "imageable"}}}),
        json!({"name": "Chapter", "properties": {"title": "string", "pages": "number"},
            "relations": {"book": {"type": "belongsTo", "model": "Book"}}}),
        json!({"name": "Profile", "properties": {"bio": "string", "secret": "string"},
            "hidden": ["secret"]}),
        json!({"name": "Address", "base": "Model", "properties": {"city": "string"}}),
        json!({"name": "Tag", "properties": {"name": "string"}}),
        json!({"name": "Reader", "properties": {"name": "string"}}),
        json!({"name": "Loan", "properties": {"days": "number"},
            "relations": {"book": {"type": "belongsTo", "model": "Book"},
                          "reader": {"type": "belongsTo", "model": "Reader"}}}),
        json!({"name": "Picture", "properties": {"name": "string"},
            "relations": {"imageable": {"type": "belongsTo", "polymorphic": true}}}),
    ]
}

/// Authors ann (1), bob (2), cid (3, no books); books b1 (30, ann), b2 (10, ann), b3 (20, bob),
/// b4 (5, no author); chapters c1 (10 pages), c2 (20) of b1 and c3 (5) of b3; ann's profile;
/// tags t1, t2 with b1-t1, b1-t2, b3-t2; readers r1, r2 with loans b1-r1, b1-r2, b2-r2;
/// pictures p1 of author 1 and p2 of book 1.
async fn library(env: &Env) -> Lib {
    let ms = env.define_all(library_json()).await;
    let model = |n: &str| env.app.try_model(n).expect("model is defined");
    seed(
        &ms[0],
        &[
            r#"{"name": "ann"}"#,
            r#"{"name": "bob"}"#,
            r#"{"name": "cid"}"#,
        ],
    )
    .await;
    seed(
        &ms[1],
        &[
            r#"{"title": "b1", "price": 30, "authorId": 1}"#,
            r#"{"title": "b2", "price": 10, "authorId": 1}"#,
            r#"{"title": "b3", "price": 20, "authorId": 2}"#,
            r#"{"title": "b4", "price": 5}"#,
        ],
    )
    .await;
    seed(
        &ms[2],
        &[
            r#"{"title": "c1", "pages": 10, "bookId": 1}"#,
            r#"{"title": "c2", "pages": 20, "bookId": 1}"#,
            r#"{"title": "c3", "pages": 5, "bookId": 3}"#,
        ],
    )
    .await;
    seed(
        &model("Profile"),
        &[r#"{"bio": "ann bio", "secret": "s", "authorId": 1}"#],
    )
    .await;
    seed(&model("Tag"), &[r#"{"name": "t1"}"#, r#"{"name": "t2"}"#]).await;
    seed(
        &model("BookTag"),
        &[
            r#"{"bookId": 1, "tagId": 1}"#,
            r#"{"bookId": 1, "tagId": 2}"#,
            r#"{"bookId": 3, "tagId": 2}"#,
        ],
    )
    .await;
    seed(
        &model("Reader"),
        &[r#"{"name": "r1"}"#, r#"{"name": "r2"}"#],
    )
    .await;
    seed(
        &model("Loan"),
        &[
            r#"{"bookId": 1, "readerId": 1, "days": 7}"#,
            r#"{"bookId": 1, "readerId": 2, "days": 14}"#,
            r#"{"bookId": 2, "readerId": 2, "days": 3}"#,
        ],
    )
    .await;
    seed(
        &model("Picture"),
        &[
            r#"{"name": "p1", "imageableId": 1, "imageableType": "Author"}"#,
            r#"{"name": "p2", "imageableId": 1, "imageableType": "Book"}"#,
        ],
    )
    .await;
    Lib {
        author: ms[0].clone(),
        book: ms[1].clone(),
        chapter: ms[2].clone(),
    }
}

/// The sorted ids of `m`'s records matching the `where` given as JSON.
async fn matching(m: &ModelHandle, where_: serde_json::Value) -> Vec<i64> {
    let filter = m
        .parse_filter(&json!({ "where": where_ }))
        .unwrap_or_else(|e| panic!("{where_} parses: {e}"));
    let rows = m
        .find(filter, &opts())
        .await
        .unwrap_or_else(|e| panic!("{where_} runs: {e}"));
    sorted_ids(&rows)
}

/// The error of a `where` that fails to parse or to run.
async fn failure(m: &ModelHandle, where_: serde_json::Value) -> Error {
    match m.parse_filter(&json!({ "where": where_ })) {
        Err(e) => e,
        Ok(f) => m.find(f, &opts()).await.expect_err("the query is refused"),
    }
}

pub async fn related_where_belongs_to(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    assert_eq!(
        matching(&lib.book, json!({"author.name": "ann"})).await,
        [1, 2]
    );
    assert_eq!(
        matching(&lib.book, json!({"author": {"some": {"name": "bob"}}})).await,
        [3]
    );
    // A book without an author has no author named anything...
    assert_eq!(
        matching(&lib.book, json!({"author.name": {"inq": ["bob", "cid"]}})).await,
        [3]
    );
    // ...and so none of its (zero) authors is ann.
    assert_eq!(
        matching(&lib.book, json!({"author": {"none": {"name": "ann"}}})).await,
        [3, 4]
    );
    assert_eq!(
        matching(&lib.book, json!({"author": {"every": {"name": "ann"}}})).await,
        [1, 2, 4]
    );
    // Operators other than equality, and values coerced to the related property's type.
    assert_eq!(
        matching(&lib.book, json!({"author.id": {"gt": "1"}})).await,
        [3]
    );
    assert_eq!(
        matching(&lib.chapter, json!({"book.price": {"between": [15, 25]}})).await,
        [3]
    );
}

pub async fn related_where_has_many_quantifiers(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let priced = json!({"price": {"gt": 15}});
    assert_eq!(
        matching(&lib.author, json!({"books": {"some": priced}})).await,
        [1, 2]
    );
    assert_eq!(
        matching(&lib.author, json!({"books": {"none": priced}})).await,
        [3]
    );
    // bob's only book is over 15; cid has no book, so all of his (none) are.
    assert_eq!(
        matching(&lib.author, json!({"books": {"every": priced}})).await,
        [2, 3]
    );
    // The dotted form is `some`.
    assert_eq!(
        matching(&lib.author, json!({"books.price": {"gt": 25}})).await,
        [1]
    );
    assert_eq!(
        matching(&lib.author, json!({"books.title": {"like": "b%"}})).await,
        [1, 2]
    );
    // An empty condition: any related model at all.
    assert_eq!(
        matching(&lib.author, json!({"books": {"some": {}}})).await,
        [1, 2]
    );
    assert_eq!(
        matching(&lib.author, json!({"books": {"none": {}}})).await,
        [3]
    );
    // A null in the related condition: `every` reads a null as "does not satisfy".
    seed(&lib.book, &[r#"{"title": "b5", "authorId": 2}"#]).await;
    assert_eq!(
        matching(&lib.author, json!({"books": {"every": priced}})).await,
        [3]
    );
    // hasOne.
    assert_eq!(
        matching(&lib.author, json!({"profile.bio": {"like": "%bio"}})).await,
        [1]
    );
    assert_eq!(
        matching(&lib.author, json!({"profile": {"none": {}}})).await,
        [2, 3]
    );
}

pub async fn related_where_through_relations(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // hasManyThrough: Book -> Loan -> Reader.
    assert_eq!(
        matching(&lib.book, json!({"readers.name": "r2"})).await,
        [1, 2]
    );
    assert_eq!(
        matching(&lib.book, json!({"readers": {"none": {"name": "r2"}}})).await,
        [3, 4]
    );
    // b2's only reader is r2; b3 and b4 have none.
    assert_eq!(
        matching(&lib.book, json!({"readers": {"every": {"name": "r2"}}})).await,
        [2, 3, 4]
    );
    // hasAndBelongsToMany: Book -> BookTag -> Tag.
    assert_eq!(
        matching(&lib.book, json!({"tags.name": "t2"})).await,
        [1, 3]
    );
    assert_eq!(matching(&lib.book, json!({"tags.name": "t1"})).await, [1]);
    assert_eq!(
        matching(&lib.book, json!({"tags": {"none": {"name": "t2"}}})).await,
        [2, 4]
    );
    assert_eq!(
        matching(&lib.book, json!({"tags": {"every": {"name": "t2"}}})).await,
        [2, 3, 4]
    );
}

pub async fn related_where_nested_relations(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // Authors with a book that has a chapter over 15 pages: ann (b1, c2).
    assert_eq!(
        matching(&lib.author, json!({"books.chapters.pages": {"gt": 15}})).await,
        [1]
    );
    assert_eq!(
        matching(
            &lib.author,
            json!({"books": {"some": {"chapters": {"some": {"pages": {"gt": 15}}}}}})
        )
        .await,
        [1]
    );
    // Authors all of whose books have no chapter under 8 pages: ann (c1 10, c2 20; b2 none),
    // cid (no books); bob's b3 has c3 with 5.
    assert_eq!(
        matching(
            &lib.author,
            json!({"books": {"every": {"chapters": {"none": {"pages": {"lt": 8}}}}}})
        )
        .await,
        [1, 3]
    );
    // Chapters whose book's author is bob.
    assert_eq!(
        matching(&lib.chapter, json!({"book.author.name": "bob"})).await,
        [3]
    );
    // Through a through relation, then on.
    assert_eq!(
        matching(&lib.author, json!({"books.readers.name": "r1"})).await,
        [1]
    );
}

pub async fn related_where_combined_with_other_conditions(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    assert_eq!(
        matching(
            &lib.author,
            json!({"or": [{"name": "cid"}, {"books": {"some": {"price": {"lt": 15}}}}]})
        )
        .await,
        [1, 3]
    );
    assert_eq!(
        matching(
            &lib.author,
            json!({"name": {"neq": "ann"}, "books.price": {"gt": 1}})
        )
        .await,
        [2]
    );
    assert_eq!(
        matching(&lib.author, json!({"nor": [{"books.price": {"gt": 25}}]})).await,
        [2, 3]
    );
    assert_eq!(
        matching(
            &lib.book,
            json!({"and": [{"author.name": "ann"}, {"tags.name": "t2"}]})
        )
        .await,
        [1]
    );
    // With order, limit and fields.
    let f = lib
        .book
        .parse_filter(&json!({"where": {"author.name": {"inq": ["ann", "bob"]}},
                              "order": "price DESC", "limit": 2, "fields": ["title"]}))
        .unwrap();
    let rows = lib.book.find(f, &opts()).await.unwrap();
    assert_eq!(rows_json(&rows), json!([{"title": "b1"}, {"title": "b3"}]));
    // findOne.
    let f = lib
        .author
        .parse_filter(&json!({"where": {"books.title": "b3"}}))
        .unwrap();
    let one = lib.author.find_one(f, &opts()).await.unwrap().unwrap();
    assert_eq!(id_of(&one), 2);
}

pub async fn related_where_in_count_update_and_destroy(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let w = |j: serde_json::Value| Some(lib.author.parse_where(&j).unwrap());
    assert_eq!(
        lib.author
            .count(w(json!({"books.price": {"gt": 15}})), &opts())
            .await
            .unwrap(),
        2
    );
    let bw = lib
        .book
        .parse_where(&json!({"author.name": "bob"}))
        .unwrap();
    assert_eq!(
        lib.book
            .update_all(Some(bw), rec(json!({"price": 99})), &opts())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        rows_json(&lib.book.find(Filter::new(), &opts()).await.unwrap())
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["price"].clone())
            .collect::<Vec<_>>(),
        [json!(30), json!(10), json!(99), json!(5)]
    );
    let cw = lib
        .chapter
        .parse_where(&json!({"book.title": "b1"}))
        .unwrap();
    assert_eq!(lib.chapter.destroy_all(Some(cw), &opts()).await.unwrap(), 2);
    assert_eq!(
        ids(&lib.chapter.find(Filter::new(), &opts()).await.unwrap()),
        [3]
    );
    // Authors with no book left after deleting ann's: ann and cid... then delete them.
    let gone = lib
        .book
        .parse_where(&json!({"author.name": "ann"}))
        .unwrap();
    assert_eq!(lib.book.destroy_all(Some(gone), &opts()).await.unwrap(), 2);
    assert_eq!(
        lib.author
            .destroy_all(w(json!({"books": {"none": {}}})), &opts())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        ids(&lib.author.find(Filter::new(), &opts()).await.unwrap()),
        [2]
    );
}

/// A model related to itself: the condition reads the table that an update or delete changes
/// (MySQL needs the subquery materialised for that).
pub async fn related_where_self_relation_writes(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![json!({"name": "Employee",
            "properties": {"name": "string", "level": "number"},
            "relations": {
                "manager": {"type": "belongsTo", "model": "Employee", "foreignKey": "managerId"},
                "reports": {"type": "hasMany", "model": "Employee", "foreignKey": "managerId"}}})])
        .await;
    let emp = &ms[0];
    seed(
        emp,
        &[
            r#"{"name": "boss", "level": 3}"#,
            r#"{"name": "mid", "level": 2, "managerId": 1}"#,
            r#"{"name": "dev1", "level": 1, "managerId": 2}"#,
            r#"{"name": "dev2", "level": 1, "managerId": 2}"#,
            r#"{"name": "solo", "level": 1, "managerId": 1}"#,
        ],
    )
    .await;
    assert_eq!(matching(emp, json!({"manager.name": "mid"})).await, [3, 4]);
    assert_eq!(matching(emp, json!({"reports.level": 1})).await, [1, 2]);
    assert_eq!(
        matching(emp, json!({"reports": {"every": {"level": 1}}})).await,
        [2, 3, 4, 5]
    );
    let w = emp
        .parse_where(&json!({"manager.level": {"gte": 3}}))
        .unwrap();
    assert_eq!(
        emp.update_all(Some(w), rec(json!({"level": 2})), &opts())
            .await
            .unwrap(),
        2
    );
    let w = emp.parse_where(&json!({"reports": {"some": {}}})).unwrap();
    assert_eq!(emp.count(Some(w), &opts()).await.unwrap(), 2);
    let w = emp.parse_where(&json!({"manager.name": "mid"})).unwrap();
    assert_eq!(emp.destroy_all(Some(w), &opts()).await.unwrap(), 2);
    assert_eq!(
        ids(&emp.find(Filter::new(), &opts()).await.unwrap()),
        [1, 2, 5]
    );
}

/// The related model's default scope and the relation's scope limit which related models
/// count, as they limit what the relation returns.
pub async fn related_where_applies_scopes(fx: Fixture) {
    let env = Env::new(fx);
    let ms = env
        .define_all(vec![
            json!({"name": "Team", "properties": {"name": "string"},
                "relations": {
                    "players": {"type": "hasMany", "model": "Player",
                                "scope": {"where": {"active": true}}},
                    "everyone": {"type": "hasMany", "model": "Player", "foreignKey": "teamId"}}}),
            json!({"name": "Player",
                "properties": {"score": "number", "active": "boolean", "deleted": "boolean"},
                "scope": {"where": {"deleted": {"neq": true}}}}),
        ])
        .await;
    let (team, player) = (&ms[0], &ms[1]);
    seed(
        team,
        &[r#"{"name": "a"}"#, r#"{"name": "b"}"#, r#"{"name": "c"}"#],
    )
    .await;
    seed(
        player,
        &[
            r#"{"score": 10, "active": false, "deleted": false, "teamId": 1}"#,
            r#"{"score": 10, "active": true, "deleted": true, "teamId": 2}"#,
            r#"{"score": 10, "active": true, "deleted": false, "teamId": 3}"#,
        ],
    )
    .await;
    // Only c's player is active and not deleted.
    assert_eq!(matching(team, json!({"players.score": 10})).await, [3]);
    // Without the relation scope, a's inactive player counts too; b's deleted one never does.
    assert_eq!(matching(team, json!({"everyone.score": 10})).await, [1, 3]);
    assert_eq!(matching(team, json!({"everyone": {"none": {}}})).await, [2]);
}

pub async fn related_where_polymorphic_has_many(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    // p2 points at id 1 too, but of Book: it is not author 1's picture.
    assert_eq!(
        matching(&lib.author, json!({"pictures.name": "p1"})).await,
        [1]
    );
    assert_eq!(
        matching(&lib.author, json!({"pictures.name": "p2"})).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        matching(&lib.book, json!({"pictures.name": "p2"})).await,
        [1]
    );
    assert_eq!(
        matching(&lib.book, json!({"pictures": {"none": {}}})).await,
        [2, 3, 4]
    );
}

pub async fn related_where_in_include_scope_and_relation_queries(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let f = lib
        .author
        .parse_filter(
            &json!({"where": {"id": {"lt": 3}}, "fields": ["id", "name"],
            "include": {"relation": "books",
            "scope": {"where": {"chapters.pages": {"gt": 15}}, "fields": ["title"]}}}),
        )
        .unwrap();
    let rows = lib.author.find(f, &opts()).await.unwrap();
    assert_eq!(
        rows_json(&rows),
        json!([{"id": 1, "name": "ann", "books": [{"title": "b1"}]},
               {"id": 2, "name": "bob", "books": []}])
    );
    // A relation query with a condition on the target's own relations.
    let ann = lib
        .author
        .find_by_id(Value::Int(1), None, &opts())
        .await
        .unwrap()
        .unwrap();
    let books = lib.author.related(&ann, "books").unwrap();
    let f = lib
        .book
        .parse_filter(&json!({"where": {"readers.name": "r1"}}))
        .unwrap();
    assert_eq!(ids(&books.find(f, &opts()).await.unwrap()), [1]);
}

/// Conditions built in Rust, and the same condition given twice (resolution is idempotent).
pub async fn related_where_built_in_code(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let w = Where::related(
        "books",
        Quantifier::Some,
        Where::cond("price", Condition::Gt(Value::String("15".into()))),
    );
    let rows = lib
        .author
        .find(Filter::with_where(w.clone()), &opts())
        .await
        .unwrap();
    assert_eq!(sorted_ids(&rows), [1, 2]);
    let every = Where::related("books", Quantifier::Every, Where::eq("price", 20));
    assert_eq!(
        sorted_ids(
            &lib.author
                .find(Filter::with_where(every.and(w)), &opts())
                .await
                .unwrap()
        ),
        [2]
    );
    // A hook that adds a condition on related models after `access` (before delete).
    lib.chapter
        .observe(HookKind::BeforeDelete, |mut ctx| async move {
            let extra = Where::related("book", Quantifier::Some, Where::eq("title", "b3"));
            ctx.where_ = Some(match ctx.where_.take() {
                Some(w) => w.and(extra),
                None => extra,
            });
            Ok(ctx)
        });
    assert_eq!(lib.chapter.destroy_all(None, &opts()).await.unwrap(), 1);
    assert_eq!(
        ids(&lib.chapter.find(Filter::new(), &opts()).await.unwrap()),
        [1, 2]
    );
}

pub async fn related_where_bad_inputs_are_400(fx: Fixture) {
    let env = Env::new(fx);
    let lib = library(&env).await;
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (
            json!({"books": {"most": {"price": 1}}}),
            "must be an object with one key, some, none or every",
        ),
        (json!({"books": 5}), "must be an object with one key"),
        (
            json!({"books": {"some": {}, "none": {}}}),
            "must be an object with one key",
        ),
        (json!({"books": {"some": 5}}), "is not an object"),
        (json!({"home.city": "x"}), "its models are embedded"),
        (
            json!({"favourites.title": "b1"}),
            "referencesMany keeps its ids in an array",
        ),
        (
            json!({"profile.secret": "s"}),
            "Properties \"secret\" are not allowed in query",
        ),
    ];
    for (where_, message) in cases {
        let e = failure(&lib.author, where_.clone()).await;
        assert_eq!(e.status(), 400, "status for {where_}: {e:?}");
        assert!(e.to_string().contains(message), "message for {where_}: {e}");
    }
    // A polymorphic belongsTo has no single target model.
    let pic = env.app.try_model("Picture").unwrap();
    let e = failure(&pic, json!({"imageable.name": "ann"})).await;
    assert_eq!(e.status(), 400);
    assert!(e.to_string().contains("polymorphic belongsTo"), "{e}");
    // Without the application's models, a parse that meets a relation says so.
    let def = lib.author.definition();
    let e = Where::from_json(&json!({"books.price": 1}), &ParseOptions::for_model(&def))
        .expect_err("needs the models");
    assert_eq!(e.status(), 400);
    assert!(
        e.to_string().contains("need the application's models"),
        "{e}"
    );
    // An unknown relation in a condition built in code.
    let w = Where::related("nosuch", Quantifier::Some, Where::eq("x", 1));
    let e = lib
        .author
        .find(Filter::with_where(w), &opts())
        .await
        .expect_err("unknown relation");
    assert_eq!(e.status(), 400);
    assert_eq!(
        e.to_string(),
        "Relation \"nosuch\" is not defined for Author model"
    );
    // Nothing was changed by any of them.
    assert_eq!(lib.author.count(None, &opts()).await.unwrap(), 3);
}

/// SQL connectors answer a condition on related models in the one statement of the query; the
/// memory connector reads the related keys first (one more read per relation hop).
pub async fn related_where_query_count(fx: Fixture) {
    let (fx, counter) = WrappedConnector::counting(fx);
    let joins = fx.connector.capabilities().related_where;
    let env = Env::new(fx);
    let lib = library(&env).await;
    let cases = [
        (json!({"author.name": "ann"}), 2),
        (json!({"tags.name": "t2"}), 3),
        (
            json!({"chapters": {"every": {"book.author.name": "ann"}}}),
            4,
        ),
    ];
    for (where_, hops) in cases {
        counter.reset();
        let f = lib.book.parse_filter(&json!({ "where": where_ })).unwrap();
        lib.book.find(f, &opts()).await.unwrap();
        let expected = if joins { 1 } else { hops };
        assert_eq!(counter.finds(), expected, "reads for {where_}");
    }
    counter.reset();
    let w = lib.author.parse_where(&json!({"books.price": 10})).unwrap();
    assert_eq!(lib.author.count(Some(w), &opts()).await.unwrap(), 1);
    assert_eq!(counter.counts(), 1);
    assert_eq!(counter.finds(), usize::from(!joins));
}
