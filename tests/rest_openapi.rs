//! The OpenAPI 3 document of the REST API (`RestApi::openapi`, `GET /explorer/openapi.json`)
//! and the API explorer page (`GET /explorer/`).

mod rest_support;

use loopback::remote::{Accept, ArgType, HttpVerb, RemoteHandler, RemoteMethod, Returns};
use loopback::rest::RestApi;
use rest_support::{get, send};
use serde_json::{json, Value as Json};

/// Every operation of the document: (verb, path, operation).
fn operations(doc: &Json) -> Vec<(String, String, Json)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (verb, op) in item.as_object().expect("path item") {
            out.push((verb.clone(), path.clone(), op.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_served_is_documented() {
    let api = rest_support::api().await;
    let doc = api.openapi();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["servers"], json!([{"url": "/api"}]));
    let ops = operations(&doc);
    let mut routes = api.routes();
    routes.extend(api.relation_routes());
    for r in &routes {
        let path: String = r
            .path
            .trim_start_matches("/api")
            .split('/')
            .map(|s| match s.strip_prefix(':') {
                Some(p) => format!("{{{p}}}"),
                None => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let verb = r.verb.to_ascii_lowercase();
        let op = ops
            .iter()
            .find(|(v, p, _)| *v == verb && *p == path)
            .unwrap_or_else(|| panic!("{} {} is not documented", r.verb, r.path));
        // The method string, or it with a `__<verb><path>` suffix for its other routes.
        assert!(
            op.2["operationId"]
                .as_str()
                .is_some_and(|id| id == r.method || id.starts_with(&format!("{}__", r.method))),
            "{} {}: {}",
            r.verb,
            r.path,
            op.2["operationId"]
        );
    }
    assert_eq!(ops.len(), routes.len());
    // operationIds are unique.
    let mut ids: Vec<&str> = ops
        .iter()
        .map(|o| o.2["operationId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[tokio::test]
async fn built_in_methods_are_described_as_lb3_describes_them() {
    let doc = rest_support::api().await.openapi();
    let find = &doc["paths"]["/Books"]["get"];
    assert_eq!(find["operationId"], "Book.find");
    assert_eq!(find["tags"], json!(["Book"]));
    assert_eq!(find["parameters"][0]["name"], "filter");
    assert_eq!(find["parameters"][0]["in"], "query");
    assert_eq!(
        find["parameters"][0]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/LoopBackFilter"
    );
    assert_eq!(
        find["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
        "#/components/schemas/BookWithRelations"
    );

    let count = &doc["paths"]["/Books/count"]["get"];
    assert_eq!(count["operationId"], "Book.count");
    assert_eq!(count["parameters"][0]["name"], "where");
    assert_eq!(
        count["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["count"]
            ["type"],
        "number"
    );

    let delete = &doc["paths"]["/Books/{id}"]["delete"];
    assert_eq!(delete["operationId"], "Book.deleteById");
    assert_eq!(delete["parameters"][0]["in"], "path");
    assert_eq!(delete["parameters"][0]["required"], true);
    assert_eq!(delete["parameters"][0]["schema"]["type"], "number");

    // Note's id is a string, under http.path `my-notes`.
    let note = &doc["paths"]["/my-notes/{id}"]["get"];
    assert_eq!(note["operationId"], "Note.findById");
    assert_eq!(note["parameters"][0]["schema"]["type"], "string");

    let update = &doc["paths"]["/Books/update"]["post"];
    assert_eq!(update["operationId"], "Book.updateAll");
    assert_eq!(
        update["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/BookPartial"
    );

    // Relation routes, with the owner id and the fk.
    let rel = &doc["paths"]["/Authors/{id}/books/{fk}"]["get"];
    assert_eq!(rel["operationId"], "Author.prototype.__findById__books");
    let names: Vec<&str> = rel["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["id", "fk"]);
    assert_eq!(
        doc["paths"]["/Books/{id}/author"]["get"]["summary"],
        "Fetches belongsTo relation author."
    );

    // Every error is strong-error-handler's envelope.
    assert_eq!(
        find["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/LoopBackError"
    );
}

#[tokio::test]
async fn model_schemas_leave_hidden_properties_out() {
    let doc = rest_support::api().await.openapi();
    let schemas = &doc["components"]["schemas"];
    let book = &schemas["Book"];
    assert_eq!(book["required"], json!(["title"]));
    assert_eq!(book["properties"]["title"]["type"], "string");
    assert_eq!(book["properties"]["price"]["type"], "number");
    assert_eq!(book["properties"]["published"]["type"], "boolean");
    assert_eq!(book["properties"]["when"]["format"], "date-time");
    // Answers write dates as JavaScript does, with six-digit years beyond 0–9999.
    let when = &schemas["BookWithRelations"]["properties"]["when"];
    assert_eq!(when["anyOf"][0]["format"], "date-time", "{when}");
    assert!(when["anyOf"][1]["pattern"].is_string(), "{when}");
    for name in ["Book", "BookPartial", "BookWithRelations"] {
        let props = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has no properties"));
        assert!(props.contains_key("title"), "{name} lacks `title`");
        assert!(
            !props.contains_key("secret"),
            "{name} shows the hidden `secret`"
        );
    }
    let author = schemas["AuthorWithRelations"]["properties"]
        .as_object()
        .expect("AuthorWithRelations");
    assert!(author.contains_key("name"));
    assert!(!author.contains_key("email"));
    assert_eq!(
        schemas["AuthorWithRelations"]["properties"]["books"]["items"]["$ref"],
        "#/components/schemas/BookWithRelations"
    );
    assert_eq!(schemas["Note"]["properties"]["code"]["type"], "string");
}

#[tokio::test]
async fn custom_remote_methods_are_documented() {
    let app = rest_support::app().await;
    let books = app.model("Book").unwrap();
    books
        .remote_method(
            RemoteMethod::new("greet")
                .description("Greets.")
                .accepts(Accept::new("msg", ArgType::String).required())
                .returns(Returns::new("greeting", ArgType::String))
                .http(HttpVerb::Get, "/greet"),
            RemoteHandler::new(|_| async { Ok(json!("hi")) }),
        )
        .unwrap();
    books
        .remote_method(
            RemoteMethod::new("prototype.shelve"),
            RemoteHandler::new(|_| async { Ok(json!(null)) }),
        )
        .unwrap();
    let doc = RestApi::new(&app).openapi();
    let greet = &doc["paths"]["/Books/greet"]["get"];
    assert_eq!(greet["operationId"], "Book.greet");
    assert_eq!(greet["summary"], "Greets.");
    assert_eq!(greet["parameters"][0]["name"], "msg");
    assert_eq!(greet["parameters"][0]["required"], true);
    assert_eq!(
        greet["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
            ["greeting"]["type"],
        "string"
    );
    // No verb: every verb is served; documented as POST, without a body: 204.
    let shelve = &doc["paths"]["/Books/{id}/shelve"]["post"];
    assert_eq!(shelve["operationId"], "Book.prototype.shelve");
    assert_eq!(shelve["parameters"][0]["name"], "id");
    assert_eq!(
        shelve["responses"]["204"],
        json!({"description": "No content."})
    );
}

#[tokio::test]
async fn explorer_serves_the_document_and_the_page() {
    let api = rest_support::api().await;
    let r = get(&api, "/explorer/openapi.json").await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(r.json(), api.openapi());

    let r = get(&api, "/explorer/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=UTF-8"));
    assert!(r.text.contains(r#"var SPEC_URL = "openapi.json";"#));
    assert!(!r.text.contains("http://") && !r.text.contains("https://"));

    let r = send(&api, "HEAD", "/explorer/openapi.json", None).await;
    assert_eq!(r.status, 200);
    assert!(r.text.is_empty());
}

#[tokio::test]
async fn explorer_root_can_move_or_go() {
    let api = rest_support::builder().await.explorer_root("/docs").build();
    assert_eq!(get(&api, "/docs/openapi.json").await.status, 200);
    assert_eq!(get(&api, "/explorer/openapi.json").await.status, 404);

    let api = rest_support::builder().await.without_explorer().build();
    assert_eq!(get(&api, "/explorer/").await.status, 404);
    assert_eq!(get(&api, "/explorer/openapi.json").await.status, 404);
    // The document is still built.
    assert_eq!(api.openapi()["openapi"], "3.0.3");
}

#[tokio::test]
async fn the_document_follows_the_rest_root() {
    let api = rest_support::builder().await.rest_root("/").build();
    let doc = api.openapi();
    assert_eq!(doc["servers"], json!([{"url": "/"}]));
    assert_eq!(doc["paths"]["/Books"]["get"]["operationId"], "Book.find");
}

/// Dates beyond the years 0 to 9999 (LB3 accepts any date JavaScript holds) are answered as
/// JavaScript writes them, which the answer schema describes.
#[tokio::test]
async fn dates_beyond_four_digit_years_are_answered_as_javascript_writes_them() {
    let api = rest_support::api().await;
    for (ms, iso) in [
        (253_402_300_800_000_i64, "+010000-01-01T00:00:00.000Z"),
        (-62_198_755_200_000, "-000001-01-01T00:00:00.000Z"),
    ] {
        let body = json!({"title": "far", "when": ms}).to_string();
        let r = rest_support::post(&api, "/api/Books", &body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["when"], iso);
        let id = r.json()["id"].clone();
        let r = get(&api, &format!("/api/Books/{id}")).await;
        assert_eq!(r.json()["when"], iso);
    }
}
