//! Booting LoopBack 3 application folders: the example folder, overrides and variables, Rust
//! code standing in for the app's JavaScript, and every kind of bad folder, each reported
//! with its file and key.

#![cfg(all(feature = "rest", feature = "memory"))]

mod app_folder;
mod boot_support;
mod rest_support;

use std::path::Path;

use app_folder::{copy_app, edit_json, write};
use boot_support::{
    assert_problem, express_signed, opts, problems, reader_token, warnings_of, EXAMPLE,
};
use loopback::boot;
use loopback::prelude::*;
use rest_support::{get, post, send};
use serde_json::{json, Value as Json};

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
        v["initial"]["morgan"] = json!({"params": ["dev"]});
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
        "`initial.morgan`: middleware `morgan` is not provided",
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

/// The scaffold's `server/boot/root.js`, as `lb` writes it.
const SCAFFOLD_ROOT_JS: &str = "// Copyright IBM Corp. 2014,2016. All Rights Reserved.
// Node module: loopback-workspace

'use strict';

module.exports = function(server) {
  // Install a `/` route that returns server status
  var router = server.loopback.Router();
  router.get('/', server.loopback.status());
  server.use(router);
};
";

/// LB3's status body: the boot date to the millisecond and a non-negative uptime in seconds.
#[track_caller]
fn assert_status_body(reply: &rest_support::Reply, booted: &boot::Booted) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body = reply.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["started", "uptime"], "{body}");
    let started: chrono::DateTime<chrono::Utc> = booted.started().into();
    assert_eq!(
        body["started"],
        json!(started.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
    );
    let uptime = body["uptime"].as_f64().unwrap();
    assert!((0.0..600.0).contains(&uptime), "{body}");
}

#[tokio::test]
async fn the_scaffold_root_js_serves_the_status_at_the_server_root() {
    let variants = [
        SCAFFOLD_ROOT_JS.to_owned(),
        // Other quotes, `const`, no `use strict`, an arrow function, other names.
        "module.exports = (app) => {\n  const r = app.loopback.Router()\n  r.get(\"/\", app.loopback.status())\n  app.use(r)\n}\n"
            .to_owned(),
        "\"use strict\";\n/* status */\nmodule.exports = function mount(s) { let router = s.loopback.Router(); router.get(`/`, s.loopback.status()); s.use(router); };"
            .to_owned(),
    ];
    for script in variants {
        let dir = copy_app(EXAMPLE);
        let d = dir.path();
        write(d, "server/boot/root.js", &script);
        let booted = boot::boot(d, &opts()).await.unwrap();
        let warnings = warnings_of(&booted);
        assert!(
            !warnings.iter().any(|w| w.contains("root.js")),
            "{script}: {warnings:#?}"
        );
        assert!(booted.plan().serves_root_status());
        let api = booted.rest_api();
        let first = get(&api, "/").await;
        assert_status_body(&first, &booted);
        let head = send(&api, "HEAD", "/", None).await;
        assert_eq!(head.status, 200);
        assert_eq!(head.text, "");
        // A router's GET route: other methods and paths are not its.
        assert_eq!(send(&api, "POST", "/", Some("{}")).await.status, 404);
        assert_eq!(get(&api, "/status").await.status, 404);
        // The API is untouched, and CORS applies as to every answer.
        assert_eq!(get(&api, "/api/books").await.status, 200);
        let req = loopback::rest::http::Request::get("/")
            .header("origin", "http://example.com")
            .body(String::new())
            .unwrap();
        let cors = rest_support::call(&api, req).await;
        assert_eq!(
            cors.header("access-control-allow-origin"),
            Some("http://example.com")
        );
    }
}

#[tokio::test]
async fn a_root_js_other_than_the_scaffold_is_listed_as_not_run() {
    for script in [
        // Another path, another handler, a second statement.
        SCAFFOLD_ROOT_JS.replace("get('/'", "get('/ping'"),
        SCAFFOLD_ROOT_JS.replace("server.loopback.status()", "(req, res) => res.send('hi')"),
        SCAFFOLD_ROOT_JS.replace(
            "server.use(router);",
            "server.use(router);\n  console.log('up');",
        ),
        // The router is never used by the app.
        SCAFFOLD_ROOT_JS.replace("server.use(router);", "server.use(other);"),
    ] {
        let dir = copy_app(EXAMPLE);
        let d = dir.path();
        write(d, "server/boot/root.js", &script);
        let booted = boot::boot(d, &opts()).await.unwrap();
        let warnings = warnings_of(&booted);
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("root.js: not run: JavaScript boot script")),
            "{script}: {warnings:#?}"
        );
        assert!(!booted.plan().serves_root_status());
        let r = get(&booted.rest_api(), "/").await;
        assert_eq!(r.status, 404, "{script}: {}", r.text);
    }
}

#[tokio::test]
async fn the_status_middleware_of_middleware_json_answers_at_its_paths() {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["routes"]["loopback#status"] = json!({"paths": ["/status", "/health"]});
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    assert_eq!(booted.plan().http().status_paths, ["/status", "/health"]);
    assert!(warnings_of(&booted).iter().all(|w| !w.contains("status")));
    let api = booted.rest_api();
    // Mounted middleware: every method, the path and below it.
    assert_status_body(&get(&api, "/status").await, &booted);
    assert_status_body(&send(&api, "POST", "/status/x", Some("{}")).await, &booted);
    assert_status_body(&get(&api, "/health?verbose=1").await, &booted);
    assert_eq!(get(&api, "/statusx").await.status, 404);
    assert_eq!(get(&api, "/").await.status, 404);
    assert_eq!(get(&api, "/api/books").await.status, 200);

    // Without paths it answers every path after the REST API, which keeps its own.
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["routes"]["loopback#status"] = json!({});
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    assert!(warnings_of(&booted).iter().all(|w| !w.contains("status")));
    let api = booted.rest_api();
    assert_status_body(&get(&api, "/anything/at/all").await, &booted);
    assert_eq!(get(&api, "/api/books").await.status, 200);
    assert_eq!(get(&api, "/api/nothing").await.status, 404);

    // Ahead of the REST API LB3 would answer the API's paths too: a warning says so.
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["initial"]["loopback#status"] = json!({});
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    let warnings = warnings_of(&booted);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`initial.loopback#status`") && w.contains("`/api`")),
        "{warnings:#?}"
    );
    assert_eq!(get(&booted.rest_api(), "/api/books").await.status, 200);

    // A path that is not one is the folder's mistake.
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["routes"]["loopback#status"] = json!({"paths": "status"});
    });
    assert_problem(
        &problems(d).await,
        &[
            "middleware.json",
            "routes.loopback#status.paths",
            "`status`",
        ],
    );
}

/// The cookie-parser secret the token tests configure.
const COOKIE_SECRET: &str = "keyboard cat";

/// `token` signed as Express sends it, with [`COOKIE_SECRET`].
fn signed(token: &str) -> String {
    express_signed(token, COOKIE_SECRET)
}

/// `GET /api/readers/me` with the token placed by `place`: the status.
async fn me_with(api: &loopback::rest::RestApi, token: &str, place: &str) -> u16 {
    use base64::Engine;
    let mut uri = "/api/readers/me".to_owned();
    let mut req = loopback::rest::http::Request::builder().method("GET");
    match place {
        "authorization" => req = req.header("authorization", token),
        "bearer" => {
            let b = base64::engine::general_purpose::STANDARD.encode(token);
            req = req.header("authorization", format!("Bearer {b}"));
        }
        "bearer-raw" => req = req.header("authorization", format!("Bearer {token}")),
        "x-access-token" => req = req.header("x-access-token", token),
        "access_token" => uri = format!("{uri}?access_token={token}"),
        "cookie access_token" => {
            req = req.header("cookie", format!("access_token={}", signed(token)));
        }
        "plain cookie access_token" => req = req.header("cookie", format!("access_token={token}")),
        "X-Foo-Auth" => req = req.header("x-foo-auth", token),
        "foo_auth" => uri = format!("{uri}?foo_auth={token}"),
        "cookie foo-auth" => req = req.header("cookie", format!("a=b; foo-auth={}", signed(token))),
        other => panic!("unknown place {other}"),
    }
    let reply = rest_support::call(api, req.uri(uri).body(String::new()).unwrap()).await;
    reply.status.as_u16()
}

#[tokio::test]
async fn token_middleware_options_say_where_the_token_is_read() {
    let custom = ["X-Foo-Auth", "foo_auth", "cookie foo-auth"];
    let defaults = [
        "authorization",
        "bearer",
        "x-access-token",
        "access_token",
        "cookie access_token",
    ];

    // `searchDefaultTokenKeys: false`: only the configured places are read.
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["session"]["cookie-parser"] = json!({"params": COOKIE_SECRET});
        v["auth"]["loopback#token"]["params"] = json!({
            "currentUserLiteral": "me",
            "headers": ["X-Foo-Auth"],
            "params": ["foo_auth"],
            "cookies": ["foo-auth"],
            "searchDefaultTokenKeys": false,
            "enableDoublecheck": true,
            "overwriteExistingToken": true,
        });
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    let warnings = warnings_of(&booted);
    assert!(
        !warnings.iter().any(|w| w.contains("token middleware")),
        "{warnings:#?}"
    );
    let api = booted.rest_api();
    // Logging in needs no token; the default places no longer carry one.
    let token = reader_token(&api, "alice").await;
    for place in custom {
        assert_eq!(me_with(&api, &token, place).await, 200, "{place}");
    }
    for place in defaults {
        assert_eq!(me_with(&api, &token, place).await, 401, "{place}");
    }

    // Without it, as in LB3, the configured names come first and the defaults still count.
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["session"]["cookie-parser"] = json!({"params": COOKIE_SECRET});
        v["auth"]["loopback#token"]["params"] = json!({
            "currentUserLiteral": "me",
            "headers": ["X-Foo-Auth"],
            "params": ["foo_auth"],
            "cookies": ["foo-auth"],
        });
    });
    let api = boot::boot(d, &opts()).await.unwrap().rest_api();
    let token = reader_token(&api, "alice").await;
    for place in custom.iter().chain(&defaults) {
        assert_eq!(me_with(&api, &token, place).await, 200, "{place}");
    }
    // Only signed cookies carry a token.
    assert_eq!(
        me_with(&api, &token, "plain cookie access_token").await,
        401
    );
    // A configured header wins over the defaults: an unknown token there is anonymous.
    let req = loopback::rest::http::Request::get("/api/readers/me")
        .header("x-foo-auth", "no-such-token")
        .header("authorization", token.as_str())
        .body(String::new())
        .unwrap();
    assert_eq!(rest_support::call(&api, req).await.status, 401);

    // `bearerTokenBase64Encoded: false`: a Bearer value is the token as sent.
    assert_eq!(me_with(&api, &token, "bearer-raw").await, 401);
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["auth"]["loopback#token"]["params"]["bearerTokenBase64Encoded"] = json!(false);
    });
    let api = boot::boot(d, &opts()).await.unwrap().rest_api();
    let token = reader_token(&api, "alice").await;
    assert_eq!(me_with(&api, &token, "bearer-raw").await, 200);
    assert_eq!(me_with(&api, &token, "bearer").await, 401);
    assert_eq!(me_with(&api, &token, "authorization").await, 200);
}

#[tokio::test]
async fn token_middleware_options_are_checked() {
    // `model` naming the app's token model is accepted; another name is reported.
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["auth"]["loopback#token"]["params"]["model"] = json!("AccessToken");
    });
    let booted = boot::boot(d, &opts()).await.unwrap();
    assert!(
        !warnings_of(&booted).iter().any(|w| w.contains("`model`")),
        "{:#?}",
        warnings_of(&booted)
    );
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["auth"]["loopback#token"]["params"]["rewriteEverything"] = json!(true);
    });
    let warnings = warnings_of(&boot::boot(d, &opts()).await.unwrap());
    let needle = "option `rewriteEverything` of the token middleware is not supported";
    assert!(
        warnings.iter().any(|w| w.contains(needle)),
        "{needle}: {warnings:#?}"
    );
    // `model` must name a token model of the app, attached to a data source (LB3 asserts
    // `loopback.token() middleware requires a AccessToken model` on the first request).
    for (model, why) in [
        ("MyToken", "`MyToken` is not a model of the application"),
        (
            "Book",
            "`Book` is not a token model: it must be AccessToken or extend it",
        ),
        ("Reader", "`Reader` is not a token model"),
    ] {
        let dir = copy_app(EXAMPLE);
        let d = dir.path();
        edit_json(d, "server/middleware.json", |v| {
            v["auth"]["loopback#token"]["params"]["model"] = json!(model);
        });
        assert_problem(
            &problems(d).await,
            &["middleware.json", "auth.loopback#token.params.model", why],
        );
    }
    let dir = token_model_folder();
    let d = dir.path();
    edit_json(d, "server/model-config.json", |v| {
        v["ReaderToken"]["dataSource"] = json!(null);
    });
    assert_problem(
        &problems(d).await,
        &[
            "auth.loopback#token.params.model",
            "`ReaderToken` is not attached to a data source",
        ],
    );

    // Values of the wrong kind are the folder's mistakes, each at its key.
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    edit_json(d, "server/middleware.json", |v| {
        v["auth"]["loopback#token"]["params"] = json!({
            "headers": "X-Foo-Auth",
            "params": [1],
            "cookies": ["ok", "bad name"],
            "searchDefaultTokenKeys": "no",
            "bearerTokenBase64Encoded": 0,
            "model": 3,
        });
    });
    let found = problems(d).await;
    for key in [
        "auth.loopback#token.params.headers",
        "auth.loopback#token.params.params",
        "auth.loopback#token.params.searchDefaultTokenKeys",
        "auth.loopback#token.params.bearerTokenBase64Encoded",
        "auth.loopback#token.params.model",
    ] {
        assert_problem(&found, &["middleware.json", key]);
    }
}

/// The example folder where readers' tokens live in their own model, `ReaderToken`
/// (extending AccessToken, with a property of its own), named by the token middleware's
/// `model` option; the built-in `AccessToken` stays configured.
fn token_model_folder() -> tempfile::TempDir {
    let dir = copy_app(EXAMPLE);
    let d = dir.path();
    app_folder::write(
        d,
        "common/models/reader-token.json",
        r#"{"name": "ReaderToken", "base": "AccessToken", "properties": {"device": "string"},
            "relations": {"user": {"type": "belongsTo", "model": "Reader", "foreignKey": "userId"}}}"#,
    );
    edit_json(d, "server/model-config.json", |v| {
        v["ReaderToken"] = json!({"dataSource": "db", "public": false});
    });
    edit_json(d, "common/models/reader.json", |v| {
        v["relations"]["accessTokens"]["model"] = json!("ReaderToken");
    });
    edit_json(d, "server/middleware.json", |v| {
        v["auth"]["loopback#token"]["params"]["model"] = json!("ReaderToken");
    });
    dir
}

#[tokio::test]
async fn token_middleware_model_names_where_tokens_are_looked_up() {
    let dir = token_model_folder();
    let booted = boot::boot(dir.path(), &opts()).await.expect("boots");
    assert_eq!(
        booted.plan().http().token.model.as_deref(),
        Some("ReaderToken")
    );
    let api = booted.rest_api();
    // Login stores the token in ReaderToken (the reader's `accessTokens`), and requests
    // find it there.
    let token = reader_token(&api, "alice").await;
    let app = booted.app();
    let o = loopback::Options::new();
    let id = Value::String(token.clone());
    let reader_tokens = app.model("ReaderToken").unwrap();
    let builtin_tokens = app.model("AccessToken").unwrap();
    let stored = reader_tokens
        .find_by_id(id.clone(), None, &o)
        .await
        .unwrap();
    assert!(stored.is_some());
    assert!(builtin_tokens
        .find_by_id(id, None, &o)
        .await
        .unwrap()
        .is_none());
    let me = |token: String| {
        let api = api.clone();
        async move {
            let path = format!("/api/readers/me?access_token={token}");
            rest_support::get(&api, &path).await.status
        }
    };
    assert_eq!(me(token.clone()).await, 200);
    // A valid row of the built-in AccessToken is not a token of this app's middleware.
    let mut row = loopback::Record::new();
    row.insert("id", "x".repeat(64));
    row.insert("ttl", Value::Int(1209600));
    row.insert("created", Value::String(chrono::Utc::now().to_rfc3339()));
    row.insert("userId", Value::Int(1));
    builtin_tokens.create(row, &o).await.unwrap();
    assert_eq!(me("x".repeat(64)).await, 401);

    // Without the option, LB3 looks in `AccessToken`, where the reader's tokens are not.
    edit_json(dir.path(), "server/middleware.json", |v| {
        v["auth"]["loopback#token"]["params"]
            .as_object_mut()
            .unwrap()
            .remove("model");
    });
    let api = boot::boot(dir.path(), &opts())
        .await
        .expect("boots")
        .rest_api();
    let token = reader_token(&api, "alice").await;
    let r = rest_support::get(&api, &format!("/api/readers/me?access_token={token}")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = rest_support::get(
        &api,
        &format!("/api/readers/me?access_token={}", "x".repeat(64)),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
}
