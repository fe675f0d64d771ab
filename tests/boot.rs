//! Booting LoopBack 3 application folders: the example folder, overrides and variables, Rust
//! code standing in for the app's JavaScript, and every kind of bad folder, each reported
//! with its file and key.

#![cfg(all(feature = "rest", feature = "memory"))]

mod app_folder;
mod rest_support;

use std::path::Path;

use app_folder::{copy_app, edit_json, write};
use loopback::boot::{self, BootOptions};
use loopback::prelude::*;
use rest_support::{get, post, send};
use serde_json::{json, Value as Json};

const EXAMPLE: &str = "examples/bookstore";

/// Options with no variables from the process environment (so `PORT` or `NODE_ENV` set by
/// the caller cannot change the outcome).
fn opts() -> BootOptions {
    BootOptions::new().vars(Vec::<(String, String)>::new())
}

/// The problems of a folder that must not boot, as text lines.
async fn problems(dir: &Path) -> Vec<String> {
    let err = boot::boot(dir, &opts())
        .await
        .expect_err("the folder must not boot");
    match &err {
        loopback::Error::Boot(b) => b.problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected a boot error, got {other}"),
    }
}

fn assert_problem(problems: &[String], needles: &[&str]) {
    assert!(
        problems
            .iter()
            .any(|p| needles.iter().all(|n| p.contains(n))),
        "no problem mentions all of {needles:?}; got:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn the_example_folder_boots_with_its_models_settings_and_access_control() {
    let booted = App::boot(EXAMPLE).await.unwrap();
    let app = booted.app();
    let mut names = app.model_names();
    names.sort();
    assert_eq!(
        names,
        [
            "ACL",
            "AccessToken",
            "Author",
            "Book",
            "Reader",
            "Review",
            "Role",
            "RoleMapping"
        ]
    );
    // `User` is only Reader's base: not attached, so not defined.
    assert!(app.model("User").is_none());
    assert_eq!(
        app.model("Reader").unwrap().builtin_kind(),
        Some(loopback::auth::BuiltinKind::User)
    );
    assert!(app.is_auth_enabled(), "boot/authentication.js enables auth");
    let plan = booted.plan();
    assert_eq!(plan.rest_api_root(), "/api");
    assert_eq!(plan.port(), 3000);
    assert_eq!(plan.host(), "0.0.0.0");
    assert_eq!(app.setting("restApiRoot"), Some(json!("/api")));
    assert_eq!(
        app.setting("logoutSessionsOnSensitiveChanges"),
        Some(json!(true))
    );
    assert_eq!(plan.http().current_user_literal.as_deref(), Some("me"));
    assert_eq!(plan.http().body_limit, Some(100 * 1024));
    assert!(plan.http().cors.is_some());
    assert_eq!(plan.explorer(), Some("/explorer"));
    let mut private = booted.private_models();
    private.sort_unstable();
    assert_eq!(private, ["ACL", "AccessToken", "Role", "RoleMapping"]);
    // The model script is listed as not run, with the Rust way; authentication.js is not.
    let warnings: Vec<String> = plan.warnings().iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("book.js") && w.contains("BootOptions::model(\"Book\"")),
        "{warnings:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("authentication.js")),
        "{warnings:?}"
    );

    // The API: public models served, private ones not, ACLs applied.
    let api = booted.rest_api();
    assert_eq!(get(&api, "/api/books").await.status, 200);
    assert_eq!(get(&api, "/api/AccessTokens").await.status, 404);
    let denied = post(&api, "/api/authors", r#"{"name": "Le Guin"}"#).await;
    assert_eq!(denied.status, 401, "{}", denied.text);
    let created = post(
        &api,
        "/api/readers",
        r#"{"email": "a@example.com", "password": "pw", "username": "a"}"#,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert!(created.json().get("password").is_none());
    let login = post(
        &api,
        "/api/readers/login",
        r#"{"email": "a@example.com", "password": "pw"}"#,
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.text);
    let token = login.json()["id"].as_str().unwrap().to_owned();
    let me = send(
        &api,
        "GET",
        &format!("/api/readers/me?access_token={token}"),
        None,
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["email"], "a@example.com");
    let author = send(
        &api,
        "POST",
        &format!("/api/authors?access_token={token}"),
        Some(r#"{"name": "Le Guin"}"#),
    )
    .await;
    assert_eq!(author.status, 200, "{}", author.text);
}

#[tokio::test]
async fn overrides_variables_and_settings_in_code_apply_in_lb3_order() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    write(
        d,
        "server/config.local.json",
        r#"{"port": 4000, "restApiRoot": "/v1"}"#,
    );
    write(
        d,
        "server/config.staging.json",
        r#"{"port": 5000, "remoting": {"json": {"limit": "1mb"}}}"#,
    );
    write(
        d,
        "server/datasources.staging.json",
        r#"{"db": {"file": "${DB_FILE}"}}"#,
    );
    write(
        d,
        "server/middleware.staging.json",
        r#"{"final:after": {"strong-error-handler": {"params": {"debug": true}}}}"#,
    );
    let db_file = d.join("data.json");
    let options = opts()
        .env("staging")
        .vars([("DB_FILE", db_file.to_str().unwrap())])
        .setting("custom", json!(7));
    let booted = boot::boot(d, &options).await.unwrap();
    let plan = booted.plan();
    assert_eq!(plan.env(), "staging");
    assert_eq!(plan.port(), 5000, "config.{{env}} wins over config.local");
    assert_eq!(plan.rest_api_root(), "/v1");
    assert_eq!(plan.http().body_limit, Some(1024 * 1024));
    assert!(plan.http().debug_errors);
    assert_eq!(
        plan.data_sources()["db"]["file"],
        json!(db_file.to_str().unwrap())
    );
    assert_eq!(booted.app().setting("custom"), Some(json!(7)));

    // `loopback#rest` is mounted at `${restApiRoot}`, which is now /v1.
    let api = booted.rest_api();
    assert_eq!(get(&api, "/v1/books").await.status, 200);
    assert_eq!(get(&api, "/api/books").await.status, 404);

    // The memory data source persists to the file the variable named.
    let reply = post(
        &api,
        "/v1/readers",
        r#"{"email": "b@example.com", "password": "pw"}"#,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let saved = std::fs::read_to_string(&db_file).unwrap();
    assert!(saved.contains("b@example.com"));

    // PORT from the environment wins over every config file.
    let booted = boot::boot(
        d,
        &opts()
            .env("staging")
            .vars([("PORT", "6001"), ("DB_FILE", "x.json")]),
    )
    .await
    .unwrap();
    assert_eq!(booted.plan().port(), 6001);
}

#[tokio::test]
async fn rust_code_stands_in_for_model_scripts_boot_scripts_and_mixins() {
    use loopback::boot::Mixin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Stamp;
    impl Mixin for Stamp {
        fn define(
            &self,
            def: &mut loopback::ModelDefinition,
            options: &Json,
        ) -> loopback::Result<()> {
            let name = options["property"].as_str().unwrap_or("stamp");
            def.properties.insert(
                name.to_owned(),
                loopback::PropertyDefinition::new(name, loopback::PropertyType::String),
            );
            Ok(())
        }
    }

    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "common/models/author.json", |v| {
        v["mixins"] = json!({"Stamp": {"property": "label"}});
    });
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    let options = opts()
        .mixin("Stamp", Stamp)
        .model("Book", move |book| {
            assert_eq!(book.name(), "Book");
            seen2.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .script("seed", |app| async move {
            let authors = app.try_model("Author")?;
            authors
                .create(
                    loopback::record! {"name" => "Seeded", "label" => "x"},
                    &loopback::Options::new(),
                )
                .await?;
            Ok(())
        });
    let booted = boot::boot(d, &options).await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let warnings: Vec<String> = booted
        .plan()
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        !warnings.iter().any(|w| w.contains("book.js")),
        "{warnings:?}"
    );
    let api = booted.rest_api();
    let reply = get(&api, "/api/authors").await;
    assert_eq!(reply.json()[0]["label"], "x", "{}", reply.text);

    // A failing boot script fails boot, naming it.
    let err = boot::boot(
        d,
        &opts().mixin("Stamp", Stamp).script("broken", |_| async {
            Err(loopback::Error::http(500, "no seed"))
        }),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("boot script `broken` failed"),
        "{err}"
    );
}

#[tokio::test]
async fn javascript_is_listed_as_not_run() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    write(
        d,
        "server/boot/root.js",
        "module.exports = function(server) {};\n",
    );
    write(d, "server/boot/_skipped.js", "");
    write(
        d,
        "server/middleware/log.js",
        "module.exports = () => (req, res, next) => next();\n",
    );
    edit_json(d, "server/middleware.json", |v| {
        v["initial"]["./middleware/log"] = json!({});
        v["initial"]["compression"] = json!({});
    });
    write(
        d,
        "common/mixins/time-stamp.js",
        "module.exports = function(Model) {};\n",
    );
    edit_json(d, "common/models/review.json", |v| {
        v["mixins"] = json!({"TimeStamp": true});
    });
    write(d, "server/config.local.js", "module.exports = {port: 1};\n");
    let booted = boot::boot(d, &opts()).await.unwrap();
    let warnings: Vec<String> = booted
        .plan()
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    for needle in [
        "root.js: not run: JavaScript boot script",
        "log.js: not run: custom middleware",
        "`initial.compression`: middleware `compression` is not provided",
        "time-stamp.js: not run: JavaScript mixin `TimeStamp`",
        "config.local.js: not run",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(needle)),
            "{needle}: {warnings:#?}"
        );
    }
    assert!(
        !warnings.iter().any(|w| w.contains("_skipped")),
        "{warnings:#?}"
    );
    assert_eq!(
        booted.plan().port(),
        3000,
        "config.local.js is not evaluated"
    );
}

#[tokio::test]
async fn missing_and_invalid_files_name_file_line_and_column() {
    let missing = problems(Path::new("tests/fixtures/no-such-app")).await;
    assert_problem(&missing, &["no-such-app", "no such directory"]);

    let empty = tempfile::tempdir().unwrap();
    let p = problems(empty.path()).await;
    assert_problem(&p, &["not a LoopBack 3 application folder"]);

    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    std::fs::remove_file(d.join("server/model-config.json")).unwrap();
    assert_problem(&problems(d).await, &["model-config.json", "missing"]);

    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    write(
        d,
        "server/datasources.json",
        "{\n  \"db\": {\n    \"connector\": \"memory\",\n  }\n}\n",
    );
    write(
        d,
        "common/models/author.json",
        "{\"name\": \"Author\" \"properties\": {}}",
    );
    let p = problems(d).await;
    assert_problem(
        &p,
        &["datasources.json:4:3", "invalid JSON", "trailing comma"],
    );
    assert_problem(&p, &["author.json:1:19", "invalid JSON"]);
}

#[tokio::test]
async fn bad_references_are_reported_all_at_once_with_file_and_key() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/datasources.json", |v| {
        v["db"]["connector"] = json!("mongodb");
    });
    edit_json(d, "server/model-config.json", |v| {
        v["Author"]["dataSource"] = json!("nowhere");
        v["Ghost"] = json!({"dataSource": "db"});
    });
    edit_json(d, "common/models/review.json", |v| {
        v["base"] = json!("Commentary");
    });
    edit_json(d, "common/models/book.json", |v| {
        v["relations"]["publisher"] = json!({"type": "belongsTo", "model": "Publisher"});
        v["mixins"] = json!({"Audited": true});
    });
    let p = problems(d).await;
    assert_problem(
        &p,
        &[
            "datasources.json:4:",
            "`db.connector`",
            "unknown connector `mongodb`",
        ],
    );
    assert_problem(
        &p,
        &[
            "model-config.json:",
            "`Author.dataSource`",
            "referencing a dataSource that does not exist: \"nowhere\"",
        ],
    );
    assert_problem(
        &p,
        &[
            "model-config.json:",
            "`Ghost`",
            "Cannot configure unknown model Ghost",
        ],
    );
    assert_problem(
        &p,
        &["review.json:", "`base`", "unknown base model `Commentary`"],
    );
    assert_problem(
        &p,
        &[
            "book.json:",
            "`relations.publisher.model`",
            "relation `publisher` names unknown model `Publisher`",
        ],
    );
    assert_problem(
        &p,
        &["book.json:", "`mixins.Audited`", "unknown mixin `Audited`"],
    );
    assert!(p.len() >= 6, "{p:#?}");
}

#[tokio::test]
async fn malformed_settings_and_overrides_are_errors() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/config.json", |v| {
        v["port"] = json!("http");
        v["restApiRoot"] = json!("api");
        v["queryLimits"] = json!({"maxLimit": -1, "maxRows": 5});
    });
    write(
        d,
        "server/config.development.json",
        r#"{"remoting": {"json": 5}}"#,
    );
    write(
        d,
        "server/middleware.development.json",
        r#"{"auth:after": {}}"#,
    );
    edit_json(d, "server/model-config.json", |v| {
        v["Book"]["properties"] = json!({"x": "string"});
    });
    edit_json(d, "common/models/author.json", |v| {
        v["properties"]["name"] = json!({"type": "string", "required": "yes"});
    });
    let p = problems(d).await;
    assert_problem(&p, &["config.json:", "`port`", "`http` is not a TCP port"]);
    assert_problem(&p, &["config.json:", "`restApiRoot`", "starting with `/`"]);
    assert_problem(
        &p,
        &["config.json:", "`queryLimits.maxLimit`", "positive integer"],
    );
    assert_problem(
        &p,
        &[
            "config.json:",
            "`queryLimits.maxRows`",
            "unknown query limit",
        ],
    );
    assert_problem(
        &p,
        &[
            "config.development.json",
            "Cannot merge values of incompatible types for the option `remoting.json`",
        ],
    );
    assert_problem(
        &p,
        &[
            "middleware.development.json",
            "The phase `auth:after` is not defined in the main config",
        ],
    );
    assert_problem(
        &p,
        &["model-config.json", "`Book`", "unsupported 1.x format"],
    );
    assert_problem(&p, &["author.json:", "`properties.name.required`"]);
}

#[tokio::test]
async fn model_config_overrides_relations_acls_and_options() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/model-config.json", |v| {
        v["Author"]["options"] = json!({"strict": true, "replaceOnPUT": false});
        // Replaces the READ rule (same property, accessType and principal) with a DENY.
        v["Author"]["acls"] = json!([{"accessType": "READ", "principalType": "ROLE",
            "principalId": "$everyone", "permission": "DENY"}]);
        v["Book"]["public"] = json!(false);
        v["Review"]["dataSource"] = json!(null);
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    let app = booted.app();
    let author = app.definition_of("Author").unwrap();
    assert_eq!(author.strict, Some(loopback::Strict::True));
    assert_eq!(author.replace_on_put, Some(false));
    let reads: Vec<_> = author
        .acls
        .iter()
        .filter(|a| a.access_type == "READ" && a.principal_id == "$everyone")
        .filter(|a| a.property.is_empty() || a.property == ["*"])
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].permission, "DENY");
    assert!(
        app.model("Review").is_none(),
        "dataSource null: not attached"
    );
    let api = booted.rest_api();
    assert_eq!(get(&api, "/api/authors").await.status, 401);
    assert_eq!(get(&api, "/api/books").await.status, 404, "public: false");
}

#[tokio::test]
async fn static_files_of_middleware_json_are_served_inside_their_folder_only() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    write(d, "client/index.html", "<h1>Bookstore</h1>");
    write(d, "server/secret.txt", "not public");
    edit_json(d, "server/middleware.json", |v| {
        v["files"]["loopback#static"] = json!({"params": "$!../client"});
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    let api = booted.rest_api();
    let page = get(&api, "/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text, "<h1>Bookstore</h1>");
    assert_eq!(get(&api, "/index.html").await.text, "<h1>Bookstore</h1>");
    for bad in [
        "/../server/secret.txt",
        "/%2e%2e/server/secret.txt",
        "/..%2fserver%2fsecret.txt",
    ] {
        let r = get(&api, bad).await;
        assert_eq!(r.status, 404, "{bad}: {}", r.text);
        assert!(!r.text.contains("not public"));
    }
    // The API is still the API.
    assert_eq!(get(&api, "/api/books").await.status, 200);
}

#[tokio::test]
async fn query_limits_of_config_json_cap_requests() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/config.json", |v| {
        v["queryLimits"] = json!({"maxLimit": 2, "maxInList": null, "maxBatch": false});
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    assert_eq!(
        booted.app().query_limits(),
        loopback::QueryLimits {
            max_limit: Some(2),
            max_in_list: None,
            max_batch: None,
        }
    );
    let api = booted.rest_api();
    let r = get(&api, "/api/books?filter[limit]=3").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "LIMIT_TOO_LARGE", "{}", r.text);
    let r = get(&api, "/api/books?filter[limit]=2").await;
    assert_eq!(r.status, 200, "{}", r.text);
}
