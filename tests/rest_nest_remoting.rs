//! LB3's `nestRemoting` over `RestApi`: the relation routes of a related model served below
//! the relation of its source (`/api/Authors/:id/books/:nk/reviews`,
//! `/api/Images/:id/book/reviews`). Statuses, bodies and the route table are those LB3 3.28
//! answers with the same models (LB3's memory connector puts the generated id last, ours
//! puts it first). Every scenario runs on the memory connector and, when
//! `LOOPBACK_TEST_POSTGRES_URL` is set, on PostgreSQL in a schema of its own.

#![cfg(all(feature = "rest", feature = "memory"))]

#[cfg(feature = "mysql")]
mod mysql_db;
#[cfg(feature = "postgres")]
mod pg_db;
#[macro_use]
mod rest_db;
mod rest_support;

use loopback::model::NestRemoting;
use loopback::rest::http::Request;
use loopback::rest::RestApi;
use loopback::App;
use rest_db::Db;
use rest_support::{assert_reply, encode_uri, error, get, post, send, Reply};
use serde_json::{json, Value as Json};

on_every_connector!(
    route_table_has_lb3_nested_methods,
    openapi_documents_nested_routes,
    to_many_nesting_reads,
    to_many_nesting_writes,
    to_many_nesting_links,
    has_one_under_nesting,
    unknown_and_foreign_ids_are_404,
    to_one_nesting,
    disabled_methods_are_not_nested,
    remote_hooks_are_inherited,
    acls_of_source_and_related_model_apply,
);

/// The models of the recorded LB3 application: `Author` hasMany `books` (nested by the
/// relation option), `Book` belongsTo `author`, hasMany `reviews`, hasOne `cover`, hasMany
/// `tags` through `BookTag`; `Image` belongsTo `book` (nested by `nest_remoting`).
fn models(acls: &[(&str, Json)]) -> Vec<Json> {
    let mut defs = vec![
        json!({"name": "Author", "properties": {"name": "string"},
            "relations": {"books": {"type": "hasMany", "model": "Book", "foreignKey": "authorId",
                "options": {"nestRemoting": true}}}}),
        json!({"name": "Book", "properties": {"title": "string"},
            "relations": {
                "author": {"type": "belongsTo", "model": "Author", "foreignKey": "authorId"},
                "reviews": {"type": "hasMany", "model": "Review", "foreignKey": "bookId"},
                "cover": {"type": "hasOne", "model": "Cover", "foreignKey": "bookId"},
                "tags": {"type": "hasMany", "model": "Tag", "through": "BookTag",
                    "foreignKey": "bookId", "keyThrough": "tagId"}}}),
        json!({"name": "Review", "properties": {"text": "string"},
            "relations": {"book": {"type": "belongsTo", "model": "Book", "foreignKey": "bookId"}}}),
        json!({"name": "Cover", "properties": {"color": "string"}}),
        json!({"name": "Tag", "properties": {"name": "string"}}),
        json!({"name": "BookTag", "properties": {},
            "relations": {
                "book": {"type": "belongsTo", "model": "Book", "foreignKey": "bookId"},
                "tag": {"type": "belongsTo", "model": "Tag", "foreignKey": "tagId"}}}),
        json!({"name": "Image", "properties": {"name": "string"},
            "relations": {"book": {"type": "belongsTo", "model": "Book", "foreignKey": "bookId"}}}),
    ];
    for (model, model_acls) in acls {
        for d in &mut defs {
            if d["name"] == *model {
                d["acls"] = model_acls.clone();
            }
        }
    }
    defs
}

/// The application with `Image.book` nested through [`loopback::ModelHandle::nest_remoting`].
async fn app(db: &Db) -> App {
    let app = db.app_without_auth(models(&[])).await;
    app.model("Image").unwrap().nest_remoting("book").unwrap();
    app
}

/// Authors 1 (`a1`) and 2; book 1 (`b1`) of author 1, book 2 of author 2; reviews 1 and 2 of
/// book 1, review 3 of book 2; tags 1 and 2, tag 1 on book 1; image 1 of book 1, image 2
/// without a book, image 3 of a book that does not exist.
async fn seed(api: &RestApi) {
    for (uri, body) in [
        ("/api/Authors", r#"[{"name":"a1"},{"name":"a2"}]"#),
        (
            "/api/Books",
            r#"[{"title":"b1","authorId":1},{"title":"b2","authorId":2}]"#,
        ),
        (
            "/api/Reviews",
            r#"[{"text":"r1","bookId":1},{"text":"r2","bookId":1},{"text":"r3","bookId":2}]"#,
        ),
        ("/api/Tags", r#"[{"name":"t1"},{"name":"t2"}]"#),
        ("/api/BookTags", r#"{"bookId":1,"tagId":1}"#),
        (
            "/api/Images",
            r#"[{"name":"i1","bookId":1},{"name":"i2"},{"name":"i3","bookId":99}]"#,
        ),
    ] {
        let r = post(api, uri, body).await;
        assert_eq!(r.status, 200, "seeding {uri}: {}", r.text);
    }
}

async fn seeded(db: &Db) -> RestApi {
    let api = RestApi::new(&app(db).await);
    seed(&api).await;
    api
}

fn not_found_code(message: &str) -> String {
    json!({"error": {"statusCode": 404, "name": "Error", "message": message,
        "code": "MODEL_NOT_FOUND"}})
    .to_string()
}

async fn put(api: &RestApi, uri: &str, body: &str) -> Reply {
    send(api, "PUT", uri, Some(body)).await
}

async fn delete(api: &RestApi, uri: &str) -> Reply {
    send(api, "DELETE", uri, None).await
}

/// The nested methods LB3 3.28 defines for `Author.nestRemoting('books')` and
/// `Image.nestRemoting('book')` on these models (verb, path below the model, method).
const LB3_NESTED: &[(&str, &str, &str)] = &[
    ("GET", "/:id/books/:nk/author", "__get__books__author"),
    (
        "GET",
        "/:id/books/:nk/reviews/:fk",
        "__findById__books__reviews",
    ),
    (
        "DELETE",
        "/:id/books/:nk/reviews/:fk",
        "__destroyById__books__reviews",
    ),
    (
        "PUT",
        "/:id/books/:nk/reviews/:fk",
        "__updateById__books__reviews",
    ),
    ("GET", "/:id/books/:nk/cover", "__get__books__cover"),
    ("POST", "/:id/books/:nk/cover", "__create__books__cover"),
    ("PUT", "/:id/books/:nk/cover", "__update__books__cover"),
    ("DELETE", "/:id/books/:nk/cover", "__destroy__books__cover"),
    ("GET", "/:id/books/:nk/tags/:fk", "__findById__books__tags"),
    (
        "DELETE",
        "/:id/books/:nk/tags/:fk",
        "__destroyById__books__tags",
    ),
    (
        "PUT",
        "/:id/books/:nk/tags/:fk",
        "__updateById__books__tags",
    ),
    ("PUT", "/:id/books/:nk/tags/rel/:fk", "__link__books__tags"),
    (
        "DELETE",
        "/:id/books/:nk/tags/rel/:fk",
        "__unlink__books__tags",
    ),
    (
        "HEAD",
        "/:id/books/:nk/tags/rel/:fk",
        "__exists__books__tags",
    ),
    ("GET", "/:id/books/:nk/reviews", "__get__books__reviews"),
    ("POST", "/:id/books/:nk/reviews", "__create__books__reviews"),
    (
        "DELETE",
        "/:id/books/:nk/reviews",
        "__delete__books__reviews",
    ),
    (
        "GET",
        "/:id/books/:nk/reviews/count",
        "__count__books__reviews",
    ),
    ("GET", "/:id/books/:nk/tags", "__get__books__tags"),
    ("POST", "/:id/books/:nk/tags", "__create__books__tags"),
    ("DELETE", "/:id/books/:nk/tags", "__delete__books__tags"),
    ("GET", "/:id/books/:nk/tags/count", "__count__books__tags"),
];

async fn route_table_has_lb3_nested_methods(db: Db) {
    let api = RestApi::new(&app(&db).await);
    let routes = api.relation_routes();
    let nested = |model: &str, plural: &str| {
        let mut got: Vec<(String, String, String)> = routes
            .iter()
            .filter(|r| r.method.starts_with(&format!("{model}.")))
            .filter(|r| r.method.matches("__").count() == 3)
            .map(|r| {
                (
                    r.verb.to_owned(),
                    r.path.replace(&format!("/api/{plural}"), ""),
                    r.method.clone(),
                )
            })
            .collect();
        got.sort();
        got
    };
    let expected = |model: &str, rel: &str, prefix: &str| {
        let mut want: Vec<(String, String, String)> = LB3_NESTED
            .iter()
            .map(|(verb, path, name)| {
                (
                    (*verb).to_owned(),
                    path.replace("/books/:nk", prefix),
                    format!("{model}.prototype.{}", name.replace("__books__", rel)),
                )
            })
            .collect();
        want.sort();
        want
    };
    assert_eq!(
        nested("Author", "Authors"),
        expected("Author", "__books__", "/books/:nk")
    );
    assert_eq!(
        nested("Image", "Images"),
        expected("Image", "__book__", "/book")
    );
    // ACL names and access types are the nested method's.
    let count = routes
        .iter()
        .find(|r| r.method == "Author.prototype.__count__books__reviews")
        .unwrap();
    assert_eq!(count.acl_names, ["__count__books__reviews"]);
    assert_eq!(count.access_type, loopback::auth::AccessType::Read);
    let link = routes
        .iter()
        .find(|r| r.method == "Image.prototype.__link__book__tags")
        .unwrap();
    assert_eq!(link.access_type, loopback::auth::AccessType::Write);
    // Only one level: nothing below the nested routes, and models without nesting have none.
    assert!(routes.iter().all(|r| r.method.matches("__").count() <= 3));
    assert!(!routes
        .iter()
        .any(|r| r.method.starts_with("Book.") && r.method.matches("__").count() == 3));
}

async fn openapi_documents_nested_routes(db: Db) {
    let api = RestApi::new(&app(&db).await);
    let doc = api.openapi();
    let paths = doc["paths"].as_object().unwrap();
    let get = &paths["/Authors/{id}/books/{nk}/reviews"]["get"];
    assert_eq!(get["operationId"], "Author.prototype.__get__books__reviews");
    assert_eq!(get["tags"], json!(["Author"]));
    let params: Vec<&str> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["id", "nk", "filter"]);
    assert_eq!(
        paths["/Authors/{id}/books/{nk}/reviews/count"]["get"]["operationId"],
        "Author.prototype.__count__books__reviews"
    );
    let create = &paths["/Authors/{id}/books/{nk}/reviews"]["post"];
    assert_eq!(
        create["operationId"],
        "Author.prototype.__create__books__reviews"
    );
    assert!(create["requestBody"].is_object(), "{create}");
    assert_eq!(
        paths["/Images/{id}/book/reviews/{fk}"]["get"]["operationId"],
        "Image.prototype.__findById__book__reviews"
    );
    assert_eq!(
        paths["/Authors/{id}/books/{nk}/tags/rel/{fk}"]["head"]["operationId"],
        "Author.prototype.__exists__books__tags"
    );
    // Every path parameter is declared and every operationId is unique.
    let mut ids = std::collections::HashSet::new();
    for (path, item) in paths {
        for (verb, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            assert!(ids.insert(id.clone()), "duplicate operationId {id}");
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            for seg in path.split('/') {
                if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(
                        declared.contains(&name),
                        "{verb} {path}: {name} not declared"
                    );
                }
            }
        }
    }
}

async fn to_many_nesting_reads(db: Db) {
    let api = seeded(&db).await;
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews").await,
        200,
        r#"[{"id":1,"text":"r1","bookId":1},{"id":2,"text":"r2","bookId":1}]"#,
    );
    assert_reply(
        &get(
            &api,
            r#"/api/Authors/1/books/1/reviews?filter={"where":{"text":"r2"}}"#,
        )
        .await,
        200,
        r#"[{"id":2,"text":"r2","bookId":1}]"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews?filter[fields]=text").await,
        200,
        r#"[{"text":"r1"},{"text":"r2"}]"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews/count").await,
        200,
        r#"{"count":2}"#,
    );
    assert_reply(
        &get(
            &api,
            r#"/api/Authors/1/books/1/reviews/count?where={"text":"r2"}"#,
        )
        .await,
        200,
        r#"{"count":1}"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews/1").await,
        200,
        r#"{"id":1,"text":"r1","bookId":1}"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/author").await,
        200,
        r#"{"id":1,"name":"a1"}"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/2/books/2/reviews").await,
        200,
        r#"[{"id":3,"text":"r3","bookId":2}]"#,
    );
    // Path segments match case-insensitively, as Express does.
    assert_eq!(
        get(&api, "/api/authors/1/BOOKS/1/Reviews/count").await.text,
        r#"{"count":2}"#
    );
}

async fn to_many_nesting_writes(db: Db) {
    let api = seeded(&db).await;
    // A body naming another book is refused, as on the relation's own route (docs/rest.md;
    // LB3 silently keeps the relation's key).
    let moved = error(400, "Cannot override foreign key bookId");
    for uri in ["/api/Authors/1/books/1/reviews", "/api/Books/1/reviews"] {
        assert_reply(
            &post(&api, uri, r#"{"text":"new","bookId":2}"#).await,
            400,
            &moved,
        );
    }
    assert_reply(
        &post(
            &api,
            "/api/Authors/1/books/1/reviews",
            r#"{"text":"new","bookId":1}"#,
        )
        .await,
        200,
        r#"{"id":4,"text":"new","bookId":1}"#,
    );
    assert_reply(
        &post(
            &api,
            "/api/Authors/1/books/1/reviews",
            r#"[{"text":"n1"},{"text":"n2"}]"#,
        )
        .await,
        200,
        r#"[{"id":5,"text":"n1","bookId":1},{"id":6,"text":"n2","bookId":1}]"#,
    );
    assert_reply(
        &put(
            &api,
            "/api/Authors/1/books/1/reviews/1",
            r#"{"text":"upd"}"#,
        )
        .await,
        200,
        r#"{"id":1,"text":"upd","bookId":1}"#,
    );
    // Moving a review to another book through the nested route is refused.
    assert_reply(
        &put(
            &api,
            "/api/Authors/1/books/1/reviews/1",
            r#"{"text":"x","bookId":2}"#,
        )
        .await,
        400,
        &moved,
    );
    assert_reply(
        &get(&api, "/api/Reviews/1").await,
        200,
        r#"{"id":1,"text":"upd","bookId":1}"#,
    );
    assert_reply(
        &delete(&api, "/api/Authors/1/books/1/reviews/2").await,
        204,
        "",
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews/count").await,
        200,
        r#"{"count":4}"#,
    );
    assert_reply(
        &delete(&api, "/api/Authors/1/books/1/reviews").await,
        204,
        "",
    );
    // Only book 1's reviews are gone.
    assert_reply(
        &get(&api, "/api/Reviews").await,
        200,
        r#"[{"id":3,"text":"r3","bookId":2}]"#,
    );
}

async fn to_many_nesting_links(db: Db) {
    let api = seeded(&db).await;
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/tags").await,
        200,
        r#"[{"id":1,"name":"t1"}]"#,
    );
    assert_reply(
        &put(&api, "/api/Authors/1/books/1/tags/rel/2", "{}").await,
        200,
        r#"{"id":2,"bookId":1,"tagId":2}"#,
    );
    assert_reply(
        &send(&api, "HEAD", "/api/Authors/1/books/1/tags/rel/2", None).await,
        200,
        "",
    );
    assert_eq!(
        send(&api, "HEAD", "/api/Authors/1/books/1/tags/rel/9", None)
            .await
            .status,
        404
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/tags").await,
        200,
        r#"[{"id":1,"name":"t1"},{"id":2,"name":"t2"}]"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/tags/count").await,
        200,
        r#"{"count":2}"#,
    );
    assert_reply(
        &delete(&api, "/api/Authors/1/books/1/tags/rel/2").await,
        204,
        "",
    );
    assert_eq!(
        send(&api, "HEAD", "/api/Authors/1/books/1/tags/rel/2", None)
            .await
            .status,
        404
    );
    // Author 2's book cannot be linked through author 1.
    assert_reply(
        &put(&api, "/api/Authors/1/books/2/tags/rel/2", "{}").await,
        404,
        &error(404, "No instance with id 2 found for Book"),
    );
    assert_reply(&get(&api, "/api/Books/2/tags").await, 200, "[]");
}

async fn has_one_under_nesting(db: Db) {
    let api = seeded(&db).await;
    let none = not_found_code(r#"No "Cover" instance(s) found"#);
    assert_reply(&get(&api, "/api/Authors/1/books/1/cover").await, 404, &none);
    assert_reply(
        &post(&api, "/api/Authors/1/books/1/cover", r#"{"color":"red"}"#).await,
        200,
        r#"{"id":1,"color":"red","bookId":1}"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/cover").await,
        200,
        r#"{"id":1,"color":"red","bookId":1}"#,
    );
    assert_reply(
        &put(&api, "/api/Authors/1/books/1/cover", r#"{"color":"blue"}"#).await,
        200,
        r#"{"id":1,"color":"blue","bookId":1}"#,
    );
    assert_reply(&delete(&api, "/api/Authors/1/books/1/cover").await, 204, "");
    assert_reply(&get(&api, "/api/Authors/1/books/1/cover").await, 404, &none);
}

async fn unknown_and_foreign_ids_are_404(db: Db) {
    let api = seeded(&db).await;
    assert_reply(
        &get(&api, "/api/Authors/999/books/1/reviews").await,
        404,
        &not_found_code("could not find a model with id 999"),
    );
    // An unknown related id, one of another author's books, and text that is no id: LB3's
    // 404 of `__findById__books`, never another author's data.
    for nk in ["999", "2", "abc"] {
        for uri in [
            format!("/api/Authors/1/books/{nk}/reviews"),
            format!("/api/Authors/1/books/{nk}/reviews/3"),
            format!("/api/Authors/1/books/{nk}/reviews/count"),
            format!("/api/Authors/1/books/{nk}/author"),
        ] {
            assert_reply(
                &get(&api, &uri).await,
                404,
                &error(404, &format!("No instance with id {nk} found for Book")),
            );
        }
    }
    // Writes through another author's book change nothing.
    assert_eq!(
        put(&api, "/api/Authors/1/books/2/reviews/3", r#"{"text":"x"}"#)
            .await
            .status,
        404
    );
    assert_eq!(
        delete(&api, "/api/Authors/1/books/2/reviews/3")
            .await
            .status,
        404
    );
    assert_eq!(
        delete(&api, "/api/Authors/1/books/2/reviews").await.status,
        404
    );
    assert_eq!(
        post(&api, "/api/Authors/1/books/2/reviews", r#"{"text":"x"}"#)
            .await
            .status,
        404
    );
    assert_reply(
        &get(&api, "/api/Reviews/count").await,
        200,
        r#"{"count":3}"#,
    );
    assert_reply(
        &get(&api, "/api/Reviews/3").await,
        200,
        r#"{"id":3,"text":"r3","bookId":2}"#,
    );
    // A review of another book, under the right author and book.
    for uri in [
        "/api/Authors/1/books/1/reviews/3",
        "/api/Authors/1/books/1/reviews/999",
    ] {
        let fk = uri.rsplit('/').next().unwrap();
        let msg = error(404, &format!("No instance with id {fk} found for Review"));
        assert_reply(&get(&api, uri).await, 404, &msg);
        assert_reply(&put(&api, uri, r#"{"text":"x"}"#).await, 404, &msg);
        assert_reply(&delete(&api, uri).await, 404, &msg);
    }
    // Routes that do not exist.
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/nope").await,
        404,
        &error(
            404,
            "Shared class \"Author\" has no method handling GET /1/books/1/nope",
        ),
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews/1/book").await,
        404,
        &error(
            404,
            "Shared class \"Author\" has no method handling GET /1/books/1/reviews/1/book",
        ),
    );
    // Not nested: Book's relations stay one level deep.
    assert_eq!(get(&api, "/api/Books/1/author/books").await.status, 404);
    assert_eq!(get(&api, "/api/Reviews/1/book/reviews").await.status, 404);
}

async fn to_one_nesting(db: Db) {
    let api = seeded(&db).await;
    assert_reply(
        &get(&api, "/api/Images/1/book/reviews").await,
        200,
        r#"[{"id":1,"text":"r1","bookId":1},{"id":2,"text":"r2","bookId":1}]"#,
    );
    assert_reply(
        &get(&api, "/api/Images/1/book/reviews/2").await,
        200,
        r#"{"id":2,"text":"r2","bookId":1}"#,
    );
    assert_reply(
        &get(&api, "/api/Images/1/book/reviews/3").await,
        404,
        &error(404, "No instance with id 3 found for Review"),
    );
    assert_reply(
        &get(&api, "/api/Images/1/book/author").await,
        200,
        r#"{"id":1,"name":"a1"}"#,
    );
    // Without a book (none, or a dangling key): LB3 answers `null`, and the 404s of the
    // methods that turn `null` into one.
    for image in [2, 3] {
        let at = |rest: &str| format!("/api/Images/{image}/book{rest}");
        assert_reply(&get(&api, &at("/reviews")).await, 200, "null");
        assert_reply(&get(&api, &at("/author")).await, 200, "null");
        assert_reply(
            &get(&api, &at("/reviews/count")).await,
            200,
            r#"{"count":null}"#,
        );
        assert_reply(
            &get(&api, &at("/reviews/5")).await,
            404,
            &not_found_code(r#"Unknown "Review" id "5"."#),
        );
        assert_reply(
            &get(&api, &at("/cover")).await,
            404,
            &not_found_code(r#"No "Cover" instance(s) found"#),
        );
        assert_reply(
            &post(&api, &at("/reviews"), r#"{"text":"zz"}"#).await,
            200,
            "null",
        );
        assert_reply(
            &put(&api, &at("/reviews/1"), r#"{"text":"zz"}"#).await,
            200,
            "null",
        );
        assert_reply(&put(&api, &at("/tags/rel/1"), "{}").await, 200, "null");
        assert_reply(&delete(&api, &at("/reviews")).await, 204, "");
        assert_reply(&delete(&api, &at("/reviews/1")).await, 204, "");
        assert_reply(&delete(&api, &at("/cover")).await, 204, "");
    }
    // Nothing was written or deleted.
    assert_reply(
        &get(&api, "/api/Reviews/count").await,
        200,
        r#"{"count":3}"#,
    );
    assert_reply(
        &get(&api, "/api/Images/99/book/reviews").await,
        404,
        &not_found_code("could not find a model with id 99"),
    );
}

async fn disabled_methods_are_not_nested(db: Db) {
    let app = app(&db).await;
    // Disabled on the related model: not nested. Disabled under its nested name: gone too.
    app.model("Book")
        .unwrap()
        .disable_remote_method_by_name("prototype.__delete__reviews");
    app.model("Author")
        .unwrap()
        .disable_remote_method_by_name("prototype.__count__books__reviews");
    let api = RestApi::new(&app);
    seed(&api).await;
    assert_eq!(
        delete(&api, "/api/Authors/1/books/1/reviews").await.status,
        404
    );
    assert_eq!(delete(&api, "/api/Books/1/reviews").await.status, 404);
    // `count` is then read as the fk of `__findById__`.
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews/count").await,
        404,
        &error(404, "No instance with id count found for Review"),
    );
    assert_reply(
        &get(&api, "/api/Books/1/reviews/count").await,
        200,
        r#"{"count":2}"#,
    );
    let methods: Vec<String> = api
        .relation_routes()
        .into_iter()
        .map(|r| r.method)
        .collect();
    assert!(!methods.contains(&"Author.prototype.__delete__books__reviews".to_owned()));
    assert!(!methods.contains(&"Author.prototype.__count__books__reviews".to_owned()));
    assert!(methods.contains(&"Author.prototype.__get__books__reviews".to_owned()));

    // `sharedMethods` of the source hide nested methods by their names.
    let mut defs = models(&[]);
    defs[0]["options"] =
        json!({"remoting": {"sharedMethods": {"prototype.__get__books__reviews": false}}});
    let fresh = db.fresh().await;
    let api = RestApi::new(&fresh.app_without_auth(defs).await);
    seed(&api).await;
    assert_eq!(
        get(&api, "/api/Authors/1/books/1/reviews").await.status,
        404
    );
    assert_eq!(
        get(&api, "/api/Authors/1/books/1/reviews/1").await.status,
        200
    );
}

async fn remote_hooks_are_inherited(db: Db) {
    let app = app(&db).await;
    let books = app.model("Book").unwrap();
    books.before_remote("prototype.__findById__reviews", |mut ctx| async move {
        ctx.args.insert("seenBefore".into(), json!(true));
        Ok(ctx)
    });
    books.after_remote("prototype.__findById__reviews", |mut ctx| async move {
        let before = ctx.args.get("seenBefore").cloned().unwrap_or(Json::Null);
        let method = ctx.method_string.clone();
        if let Some(Json::Object(o)) = ctx.result.as_mut() {
            o.insert("hook".into(), json!({"before": before, "method": method}));
        }
        Ok(ctx)
    });
    // The nested method's own hooks, by its nested name; they may change the arguments.
    app.model("Author").unwrap().before_remote(
        "prototype.__get__books__reviews",
        |mut ctx| async move {
            let nk = ctx.args.get("nk").cloned();
            ctx.args.insert(
                "filter".into(),
                json!({"where": {"text": "r2"}, "fields": ["text"]}),
            );
            assert_eq!(nk, Some(json!(1)));
            Ok(ctx)
        },
    );
    let image = app.model("Image").unwrap();
    image
        .nest_remoting_with(
            "book",
            NestRemoting {
                hooks: false,
                ..NestRemoting::default()
            },
        )
        .unwrap();
    let api = RestApi::new(&app);
    seed(&api).await;
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews/1").await,
        200,
        r#"{"id":1,"text":"r1","bookId":1,"hook":{"before":true,"method":"Author.prototype.__findById__books__reviews"}}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/1/reviews/1").await,
        200,
        r#"{"id":1,"text":"r1","bookId":1,"hook":{"before":true,"method":"Book.prototype.__findById__reviews"}}"#,
    );
    // `hooks: false`: not inherited.
    assert_reply(
        &get(&api, "/api/Images/1/book/reviews/1").await,
        200,
        r#"{"id":1,"text":"r1","bookId":1}"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/1/books/1/reviews").await,
        200,
        r#"[{"text":"r2"}]"#,
    );
    // Errors still come from the nested call when hooks run.
    assert_reply(
        &get(&api, "/api/Authors/1/books/2/reviews/3").await,
        404,
        &error(404, "No instance with id 2 found for Book"),
    );
}

async fn login(api: &RestApi) -> String {
    let r = post(
        api,
        "/api/Users",
        r#"{"email":"u@example.com","password":"secret-pass"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = post(
        api,
        "/api/Users/login",
        r#"{"email":"u@example.com","password":"secret-pass"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn get_as(api: &RestApi, uri: &str, token: &str) -> Reply {
    let req = Request::get(encode_uri(uri))
        .header("authorization", token)
        .body(String::new())
        .unwrap();
    rest_support::call(api, req).await
}

/// LB3 checks the source model's ACLs under the nested method's name; the related model's
/// ACLs for the method run on it apply too, so a nested route never reads what
/// `/Books/:nk/reviews` would refuse.
async fn acls_of_source_and_related_model_apply(db: Db) {
    let everyone = |access: &str, permission: &str, property: &str| {
        json!({"principalType": "ROLE", "principalId": "$everyone", "accessType": access,
            "permission": permission, "property": property})
    };
    let authenticated = |access: &str, property: &str| {
        json!({"principalType": "ROLE", "principalId": "$authenticated", "accessType": access,
            "permission": "ALLOW", "property": property})
    };
    let open = json!([everyone("*", "ALLOW", "*")]);
    let defs = models(&[
        // Authors: anyone may do anything except the nested reviews of books, which need a
        // login, and the nested count, which nobody may call.
        (
            "Author",
            json!([
                everyone("*", "ALLOW", "*"),
                everyone("*", "DENY", "__get__books__reviews"),
                authenticated("READ", "__get__books__reviews"),
                everyone("*", "DENY", "__count__books__reviews")
            ]),
        ),
        // Books: readable, but their reviews are only for logged-in callers.
        (
            "Book",
            json!([
                everyone("*", "ALLOW", "*"),
                everyone("*", "DENY", "__findById__reviews"),
                authenticated("READ", "__findById__reviews")
            ]),
        ),
        ("Review", open.clone()),
        ("Cover", open.clone()),
        ("Tag", open.clone()),
        ("BookTag", open.clone()),
        ("Image", open),
    ]);
    let app = db.app(defs).await;
    app.model("Image").unwrap().nest_remoting("book").unwrap();
    let api = RestApi::new(&app);
    seed(&api).await;
    let token = login(&api).await;
    let denied = |r: &Reply| {
        assert!(matches!(r.status.as_u16(), 401 | 403), "{r:?}");
        assert!(r.json()["error"]["code"].is_string(), "{r:?}");
    };

    // The source's ACL of the nested method.
    denied(&get(&api, "/api/Authors/1/books/1/reviews").await);
    assert_reply(
        &get_as(&api, "/api/Authors/1/books/1/reviews", &token).await,
        200,
        r#"[{"id":1,"text":"r1","bookId":1},{"id":2,"text":"r2","bookId":1}]"#,
    );
    denied(&get_as(&api, "/api/Authors/1/books/1/reviews/count", &token).await);
    // Allowed on Book's own route: the same count one level down.
    assert_reply(
        &get(&api, "/api/Books/1/reviews/count").await,
        200,
        r#"{"count":2}"#,
    );

    // The related model's ACL of the method run on it, even where the source allows it.
    denied(&get(&api, "/api/Books/1/reviews/1").await);
    denied(&get(&api, "/api/Authors/1/books/1/reviews/1").await);
    denied(&get(&api, "/api/Images/1/book/reviews/1").await);
    // Denied before anything is read: another author's book is no different.
    denied(&get(&api, "/api/Authors/1/books/2/reviews/3").await);
    assert_reply(
        &get_as(&api, "/api/Authors/1/books/1/reviews/1", &token).await,
        200,
        r#"{"id":1,"text":"r1","bookId":1}"#,
    );
    assert_reply(
        &get_as(&api, "/api/Images/1/book/reviews/1", &token).await,
        200,
        r#"{"id":1,"text":"r1","bookId":1}"#,
    );
    // Allowed everywhere: answered.
    assert_reply(
        &get(&api, "/api/Images/1/book/reviews").await,
        200,
        r#"[{"id":1,"text":"r1","bookId":1},{"id":2,"text":"r2","bookId":1}]"#,
    );
    // With a login, another author's book is still LB3's 404.
    assert_reply(
        &get_as(&api, "/api/Authors/1/books/2/reviews/3", &token).await,
        404,
        &error(404, "No instance with id 2 found for Book"),
    );

    // Owner keys are guarded on nested writes as on the model's own routes: a review cannot
    // be created in another user's name (`userId`), and nothing is written.
    let before = get(&api, "/api/Books/1/reviews/count").await.json()["count"].clone();
    let req = Request::post(encode_uri("/api/Authors/1/books/1/reviews"))
        .header("authorization", token.as_str())
        .header("content-type", "application/json")
        .body(r#"{"text": "forged", "userId": 999}"#.to_owned())
        .unwrap();
    let r = rest_support::call(&api, req).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        r.json()["error"]["code"],
        "OWNER_KEY_NOT_SETTABLE",
        "{}",
        r.text
    );
    assert_eq!(
        get(&api, "/api/Books/1/reviews/count").await.json()["count"],
        before
    );
}

/// `#[derive(Model)]`'s `options(nest_remoting)` on a relation nests it.
mod derived {
    use loopback::prelude::*;
    use loopback::rest::RestApi;

    use super::rest_support::{assert_reply, get, post};

    /// A rack: has many items, nested.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(relation(items, has_many = Item, foreign_key = "rackId", options(nest_remoting)))]
    pub struct Rack {
        #[model(id, generated)]
        id: Option<i64>,
        name: String,
    }

    /// An item: has many labels.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(relation(labels, has_many = Label, foreign_key = "itemId"))]
    pub struct Item {
        #[model(id, generated)]
        id: Option<i64>,
        name: String,
        rack_id: Option<i64>,
    }

    /// A label of an item.
    #[derive(Model, Debug, Clone, PartialEq)]
    pub struct Label {
        #[model(id, generated)]
        id: Option<i64>,
        text: String,
        item_id: Option<i64>,
    }

    #[tokio::test]
    async fn derive_option_nests_the_relation() {
        let app = App::new();
        app.data_source("db", loopback::connectors::memory());
        app.register::<Rack>("db").await.unwrap();
        app.register::<Item>("db").await.unwrap();
        app.register::<Label>("db").await.unwrap();
        let rel = Rack::definition().relations["items"].nest_remoting();
        assert_eq!(rel, Some(loopback::model::NestRemoting::default()));
        let api = RestApi::new(&app);
        assert_eq!(
            post(&api, "/api/Racks", r#"{"name":"r"}"#).await.status,
            200
        );
        assert_eq!(
            post(&api, "/api/Racks/1/items", r#"{"name":"i"}"#)
                .await
                .status,
            200
        );
        assert_reply(
            &post(&api, "/api/Racks/1/items/1/labels", r#"{"text":"l"}"#).await,
            200,
            r#"{"id":1,"text":"l","itemId":1}"#,
        );
        assert_reply(
            &get(&api, "/api/Racks/1/items/1/labels").await,
            200,
            r#"[{"id":1,"text":"l","itemId":1}]"#,
        );
        // Item's relations are not nested.
        assert_eq!(get(&api, "/api/Items/1/labels/1/item").await.status, 404);
    }
}
