//! Remote methods and remote hooks over REST: routes, argument sources and conversion, return
//! shapes, statuses, disabling, hook patterns and order, hooks on built-in methods.

mod rest_support;

use std::sync::{Arc, Mutex};

use loopback::remote::{
    Accept, ArgSource, ArgType, FileStream, HttpVerb, RemoteHandler, RemoteMethod, Returns,
};
use loopback::rest::RestApi;
use loopback::{App, Error};
use rest_support::{app_with, assert_reply, get, post, send};
use serde_json::{json, Value as Json};

/// `Person` with LB3's documented `greet` declared in its JSON, bound to a Rust handler.
async fn people() -> App {
    let app = app_with(vec![
        json!({"name": "Person", "properties": {"name": "string", "password": "string"},
        "hidden": ["password"],
        "methods": {
            "greet": {
                "accepts": {"arg": "msg", "type": "string", "required": true},
                "returns": {"arg": "greeting", "type": "string"}
            },
            "sayHi": {
                "accepts": {"arg": "msg", "type": "string"},
                "returns": {"arg": "greeting", "type": "string"},
                "http": {"path": "/sayhi", "verb": "get"}
            },
            "unbound": {}
        }}),
    ])
    .await;
    let people = app.model("Person").unwrap();
    let greet = RemoteHandler::new(|call| async move {
        let msg: String = call.arg("msg")?.unwrap_or_default();
        Ok(json!(format!("Greetings... {msg}")))
    });
    people.bind_remote_method("greet", greet.clone()).unwrap();
    people.bind_remote_method("sayHi", greet).unwrap();
    app
}

#[tokio::test]
async fn a_declared_method_answers_at_its_default_route() {
    let api = RestApi::new(&people().await);
    let r = post(&api, "/api/People/greet", r#"{"msg":"John"}"#).await;
    assert_reply(&r, 200, r#"{"greeting":"Greetings... John"}"#);
    // No verb: the route answers every verb, after every verb-specific route (strong-remoting
    // sorts `all` last), so `GET /greet` is findById("greet"), as in LB3.
    let r = get(&api, "/api/People/greet?msg=Jo").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["message"],
        "Unknown \"Person\" id \"greet\"."
    );
    let r = send(&api, "DELETE", "/api/People/greet", None).await;
    assert_reply(&r, 200, r#"{"count":0}"#);
    // Arguments are found by name in the query too.
    let r = post(&api, "/api/People/greet?msg=Jo", "").await;
    assert_reply(&r, 200, r#"{"greeting":"Greetings... Jo"}"#);
}

#[tokio::test]
async fn http_path_and_verb_move_the_route() {
    let api = RestApi::new(&people().await);
    let r = get(&api, "/api/People/sayhi?msg=LoopBack%20developer").await;
    assert_reply(&r, 200, r#"{"greeting":"Greetings... LoopBack developer"}"#);
    let r = post(&api, "/api/People/sayhi", "{}").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["message"],
        "Shared class \"Person\" has no method handling POST /sayhi"
    );
    let r = post(&api, "/api/People/sayHi", "{}").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_missing_required_argument_is_400() {
    let api = RestApi::new(&people().await);
    for body in ["{}", r#"{"msg":""}"#] {
        let r = post(&api, "/api/People/greet", body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.json()["error"]["message"], "msg is a required argument");
    }
    // A JSON body keeps its types: a number, or null, is not a string (LB3 converts JSON
    // values strictly, before the required check).
    for body in [r#"{"msg":5}"#, r#"{"msg":null}"#] {
        let r = post(&api, "/api/People/greet", body).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"]["message"], "Value is not a string.");
    }
}

#[tokio::test]
async fn a_declared_method_without_a_handler_is_501() {
    let api = RestApi::new(&people().await);
    let r = post(&api, "/api/People/unbound", "{}").await;
    assert_eq!(r.status, 501);
    let app = people().await;
    let err = app
        .model("Person")
        .unwrap()
        .bind_remote_method("nope", RemoteHandler::new(|_| async { Ok(Json::Null) }))
        .unwrap_err();
    assert!(
        err.to_string().contains("not a declared remote method"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_method_declarations_fail_to_define() {
    let app = App::new();
    app.data_source("db", loopback::connectors::memory());
    let def = loopback::ModelDefinition::from_lb3_json(&json!({
        "name": "Bad", "methods": {"m": {"http": {"verb": "fetch"}}}
    }))
    .unwrap();
    let err = app.define(def, "db").await.unwrap_err();
    assert!(err.to_string().contains("methods.m.http[0].verb"), "{err}");
}

/// `Calc` with Rust-registered methods exercising argument sources, types and returns.
async fn calc() -> App {
    let app = app_with(vec![
        json!({"name": "Calc", "properties": {"name": "string", "secret": "string"},
            "hidden": ["secret"]}),
    ])
    .await;
    let calc = app.model("Calc").unwrap();
    calc.remote_method(
        RemoteMethod::new("add")
            .accepts(Accept::new("a", ArgType::Number).required())
            .accepts(Accept::new("b", ArgType::Number).source(ArgSource::Query))
            .returns(Returns::new("sum", ArgType::Number))
            .http(HttpVerb::Get, "/add"),
        RemoteHandler::new(|call| async move {
            let a: f64 = call.arg("a")?.unwrap_or(0.0);
            let b: f64 = call.arg("b")?.unwrap_or(0.0);
            Ok(json!(a + b))
        }),
    )
    .unwrap();
    #[derive(serde::Deserialize)]
    struct Rev {
        sound: String,
        times: Option<u32>,
    }
    calc.remote_method(
        RemoteMethod::new("revEngine")
            .accepts(Accept::new("sound", ArgType::String).required())
            .accepts(Accept::new("times", ArgType::Integer))
            .returns(Returns::new("engineSound", ArgType::String))
            .http(HttpVerb::Post, "/rev-engine")
            .status(201),
        RemoteHandler::typed(|a: Rev, _call| async move {
            let n = a.times.unwrap_or(3) as usize;
            Ok(vec![a.sound; n].join(" "))
        }),
    )
    .unwrap();
    calc.remote_method(
        RemoteMethod::new("stats")
            .returns(Returns::root(ArgType::Object))
            .http(HttpVerb::Get, "/stats"),
        RemoteHandler::new(|call| async move {
            let n = call.model.count(None, &call.options).await?;
            Ok(json!({"count": n}))
        }),
    )
    .unwrap();
    calc.remote_method(
        RemoteMethod::new("reset").http(HttpVerb::Post, "/reset"),
        RemoteHandler::new(|_| async { Ok(json!("ignored")) }),
    )
    .unwrap();
    calc.remote_method(
        RemoteMethod::new("fail")
            .accepts(Accept::new("kind", ArgType::String))
            .http(HttpVerb::Get, "/fail")
            .error_status(400),
        RemoteHandler::new(|call| async move {
            match call.arg::<String>("kind")?.as_deref() {
                Some("teapot") => Err(Error::http(418, "I'm a teapot")),
                _ => Err(Error::Internal("boom".into())),
            }
        }),
    )
    .unwrap();
    calc.remote_method(
        RemoteMethod::new("download")
            .returns(Returns::new("data", ArgType::String))
            .returns(Returns::new("Content-Language", ArgType::String).header("Content-Language"))
            .returns(Returns::new("code", ArgType::Number).status())
            .http(HttpVerb::Get, "/download"),
        RemoteHandler::new(|_| async { Ok(json!(["text", "fr", 202])) }),
    )
    .unwrap();
    // LB3's documented file download: the root value is the raw body, the second return its
    // `Content-Type`.
    calc.remote_method(
        RemoteMethod::new("text")
            .accepts(Accept::new("kind", ArgType::String))
            .returns(Returns::root(ArgType::File))
            .returns(Returns::new("Content-Type", ArgType::String).header("Content-Type"))
            .http(HttpVerb::Get, "/text"),
        RemoteHandler::new(|call| async move {
            let body = match call.arg::<String>("kind")?.as_deref() {
                Some("bytes") => loopback::Value::Buffer(vec![0, 159, 146, 150]).to_json(),
                Some("base64") => json!({"$type": "base64", "$data": "aGk="}),
                Some("number") => json!(42),
                Some("none") => Json::Null,
                _ => json!("plain \"text\", not JSON"),
            };
            Ok(json!([body, "text/plain; charset=utf-8"]))
        }),
    )
    .unwrap();
    // A file sent chunk by chunk, with its own content type and a header, beside LB3's
    // documented Content-Type return (which a stream does not fill).
    calc.remote_method(
        RemoteMethod::new("export")
            .accepts(Accept::new("rows", ArgType::Integer))
            .returns(Returns::root(ArgType::File))
            .returns(Returns::new("Content-Type", ArgType::String).header("Content-Type"))
            .http(HttpVerb::Get, "/export"),
        RemoteHandler::file(|call| async move {
            let rows: i64 = call.arg("rows")?.unwrap_or(2);
            let lines = std::iter::once("n,square\n".to_owned())
                .chain((1..=rows).map(|n| format!("{n},{}\n", n * n)));
            Ok(
                FileStream::new(futures::stream::iter(lines.map(Ok::<_, std::io::Error>)))
                    .content_type("text/csv; charset=utf-8")
                    .header(
                        "Content-Disposition",
                        "attachment; filename=\"squares.csv\"",
                    ),
            )
        }),
    )
    .unwrap();
    // A file handler on a method that declares no root file return.
    calc.remote_method(
        RemoteMethod::new("notAFile")
            .returns(Returns::root(ArgType::String))
            .http(HttpVerb::Get, "/not-a-file"),
        RemoteHandler::file(|_| async move {
            Ok(FileStream::new(futures::stream::iter([Ok::<
                _,
                std::io::Error,
            >("x")])))
        }),
    )
    .unwrap();
    // A root value beside returns aimed at the status and a header.
    calc.remote_method(
        RemoteMethod::new("made")
            .returns(Returns::root(ArgType::Object))
            .returns(Returns::new("code", ArgType::Number).status())
            .returns(Returns::new("Location", ArgType::String).header("Location"))
            .http(HttpVerb::Post, "/made"),
        RemoteHandler::new(|_| async { Ok(json!([{"id": 7}, 201, "/api/Calcs/7"])) }),
    )
    .unwrap();
    calc.remote_method(
        RemoteMethod::new("all")
            .returns(Returns::root(ArgType::parse("[Calc]")))
            .http(HttpVerb::Get, "/everything"),
        RemoteHandler::new(|call| async move {
            let rows = call.model.find(Default::default(), &call.options).await?;
            Ok(Json::Array(rows.iter().map(|r| r.to_json()).collect()))
        }),
    )
    .unwrap();
    calc.remote_method(
        RemoteMethod::new("prototype.describe")
            .accepts(Accept::new("prefix", ArgType::String))
            .returns(Returns::new("text", ArgType::String))
            .http(HttpVerb::Get, "/describe"),
        RemoteHandler::new(|call| async move {
            let prefix: String = call.arg("prefix")?.unwrap_or_default();
            let name = call
                .instance
                .as_ref()
                .and_then(|i| i.get("name"))
                .map(|v| v.to_json())
                .unwrap_or(Json::Null);
            Ok(json!(format!("{prefix}{}", name.as_str().unwrap_or("?"))))
        }),
    )
    .unwrap();
    calc.remote_method(
        RemoteMethod::new("byPath")
            .accepts(Accept::new("n", ArgType::Integer).source(ArgSource::Path))
            .accepts(Accept::new("x-token", ArgType::String).source(ArgSource::Header))
            .returns(Returns::root(ArgType::Any))
            .http(HttpVerb::Get, "/by/:n"),
        RemoteHandler::new(|call| async move { Ok(Json::Object(call.args.clone())) }),
    )
    .unwrap();
    app
}

#[tokio::test]
async fn arguments_convert_by_their_declared_type_and_source() {
    let api = RestApi::new(&calc().await);
    assert_reply(
        &get(&api, "/api/Calcs/add?a=1.5&b=2").await,
        200,
        r#"{"sum":3.5}"#,
    );
    let r = get(&api, "/api/Calcs/add?a=abc").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["message"], "Value is not a number.");
    let r = get(&api, "/api/Calcs/add").await;
    assert_eq!(r.json()["error"]["message"], "a is a required argument");
    // Path and header sources.
    let req = loopback::rest::http::Request::get("/api/Calcs/by/42")
        .header("x-token", "t1")
        .body(String::new())
        .unwrap();
    let r = rest_support::call(&api, req).await;
    assert_reply(&r, 200, r#"{"n":42,"x-token":"t1"}"#);
    let r = get(&api, "/api/Calcs/by/4.5").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["message"], "Value is not a safe integer.");
    // A typed handler: a bad value is a 400 naming the argument.
    let r = post(
        &api,
        "/api/Calcs/rev-engine",
        r#"{"sound":"vroom","times":2}"#,
    )
    .await;
    assert_reply(&r, 201, r#"{"engineSound":"vroom vroom"}"#);
    let r = post(&api, "/api/Calcs/rev-engine", r#"{"sound":"x","times":-1}"#).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid arguments."),
        "{}",
        r.text
    );
    // Malformed JSON is the usual 400, wrong content type the usual 415.
    let r = post(&api, "/api/Calcs/rev-engine", "{").await;
    assert_eq!(r.status, 400);
    let req = loopback::rest::http::Request::post("/api/Calcs/rev-engine")
        .header("content-type", "text/plain")
        .body("sound".to_owned())
        .unwrap();
    assert_eq!(rest_support::call(&api, req).await.status, 415);
}

#[tokio::test]
async fn returns_shape_the_answer() {
    let app = calc().await;
    let calcs = app.model("Calc").unwrap();
    let mut rec = loopback::Record::new();
    rec.insert("name", "one");
    rec.insert("secret", "s");
    calcs.create(rec, &Default::default()).await.unwrap();
    let api = RestApi::new(&app);
    assert_reply(&get(&api, "/api/Calcs/stats").await, 200, r#"{"count":1}"#);
    // No returns: 204 without a body, whatever the handler gave.
    assert_reply(&post(&api, "/api/Calcs/reset", "{}").await, 204, "");
    // Returns aimed at a header and the status.
    let r = get(&api, "/api/Calcs/download").await;
    assert_reply(&r, 202, r#"{"data":"text"}"#);
    assert_eq!(r.header("content-language"), Some("fr"));
    // A model-typed return is published: hidden properties removed.
    let r = get(&api, "/api/Calcs/everything").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()[0]["name"], "one");
    assert!(r.json()[0].get("secret").is_none(), "{}", r.text);
}

#[tokio::test]
async fn file_returns_are_raw_bodies_and_root_values_keep_their_headers() {
    let app = calc().await;
    let api = RestApi::new(&app);
    let r = get(&api, "/api/Calcs/text").await;
    assert_reply(&r, 200, r#"plain "text", not JSON"#);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    // Buffers, as `Value::Buffer` converts them or as strong-remoting's base64 object.
    let r = get(&api, "/api/Calcs/text?kind=bytes").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.bytes, [0u8, 159, 146, 150]);
    let r = get(&api, "/api/Calcs/text?kind=base64").await;
    assert_reply(&r, 200, "hi");
    // No value: no content.
    assert_reply(&get(&api, "/api/Calcs/text?kind=none").await, 204, "");
    // Anything else is strong-remoting's 500 (its message hidden outside debug mode).
    let r = get(&api, "/api/Calcs/text?kind=number").await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert_eq!(r.json()["error"]["statusCode"], 500);
    // The status and header returns apply beside a root value, which alone is the body.
    let r = post(&api, "/api/Calcs/made", "{}").await;
    assert_reply(&r, 201, r#"{"id":7}"#);
    assert_eq!(r.header("location"), Some("/api/Calcs/7"));
}

#[tokio::test]
async fn file_streams_are_sent_chunk_by_chunk() {
    let app = calc().await;
    let api = RestApi::new(&app);
    let r = get(&api, "/api/Calcs/export?rows=3").await;
    assert_reply(&r, 200, "n,square\n1,1\n2,4\n3,9\n");
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"squares.csv\"")
    );
    // Its length is not known ahead: no Content-Length (HTTP/1.1 sends it chunked).
    assert_eq!(r.header("content-length"), None);
    let res = api
        .handle(
            loopback::rest::http::Request::get("/api/Calcs/export?rows=1000")
                .body(String::new())
                .unwrap(),
        )
        .await;
    assert!(res.body().is_stream());
    use http_body_util::BodyExt;
    let mut body = res.into_body();
    let mut frames = 0;
    let mut text = Vec::new();
    while let Some(frame) = body.frame().await {
        text.extend_from_slice(&frame.expect("a chunk").into_data().expect("data"));
        frames += 1;
    }
    assert_eq!(frames, 1001, "one frame per chunk of the source");
    assert!(text.ends_with(b"1000,1000000\n"));
    // Arguments are still checked before the handler runs.
    assert_eq!(get(&api, "/api/Calcs/export?rows=x").await.status, 400);
    // A method that declares no root file return cannot send one.
    let r = get(&api, "/api/Calcs/not-a-file").await;
    assert_eq!(r.status, 500, "{}", r.text);
    // Rust callers cannot receive a stream: a clear error, not a silent empty result.
    let err = app
        .model("Calc")
        .unwrap()
        .invoke_remote("export", serde_json::Map::new(), None, Default::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("file stream"), "{err}");
}

#[tokio::test]
async fn errors_keep_their_status_or_take_error_status() {
    let api = RestApi::new(&calc().await);
    let r = get(&api, "/api/Calcs/fail?kind=teapot").await;
    assert_eq!(r.status, 418);
    let r = get(&api, "/api/Calcs/fail").await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn instance_methods_load_the_instance() {
    let app = calc().await;
    let mut rec = loopback::Record::new();
    rec.insert("name", "Rex");
    let created = app
        .model("Calc")
        .unwrap()
        .create(rec, &Default::default())
        .await
        .unwrap();
    let id = created.get("id").unwrap().to_json();
    let api = RestApi::new(&app);
    let r = get(&api, &format!("/api/Calcs/{id}/describe?prefix=I%20am%20")).await;
    assert_reply(&r, 200, r#"{"text":"I am Rex"}"#);
    let r = get(&api, "/api/Calcs/999/describe").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["message"],
        "could not find a model with id 999"
    );
    assert_eq!(r.json()["error"]["code"], "MODEL_NOT_FOUND");
}

#[tokio::test]
async fn literal_custom_paths_win_over_ids_and_routes_are_listed() {
    let api = RestApi::new(&calc().await);
    // `/stats` is not findById("stats").
    assert_eq!(get(&api, "/api/Calcs/stats").await.status, 200);
    // `/:id` still serves findById.
    assert_eq!(get(&api, "/api/Calcs/5").await.status, 404);
    let routes = api.remote_routes();
    assert!(routes.iter().any(|r| r.verb == "GET"
        && r.path == "/api/Calcs/:id/describe"
        && r.method == "Calc.prototype.describe"));
    assert!(routes
        .iter()
        .any(|r| r.verb == "GET" && r.path == "/api/Calcs/by/:n" && r.method == "Calc.byPath"));
}

#[tokio::test]
async fn disabled_methods_are_not_served() {
    let app = rest_support::app().await;
    let books = app.model("Book").unwrap();
    books.disable_remote_method_by_name("find");
    books.disable_remote_method_by_name("upsert");
    books.disable_remote_method_by_name("prototype.__get__author");
    let api = RestApi::new(&app);
    let r = get(&api, "/api/Books").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["message"],
        "Shared class \"Book\" has no method handling GET /"
    );
    assert_eq!(
        send(&api, "PATCH", "/api/Books", Some("{}")).await.status,
        404
    );
    assert_eq!(get(&api, "/api/Books/1/author").await.status, 404);
    // Other methods stay.
    assert_eq!(get(&api, "/api/Books/count").await.status, 200);
    assert!(!api.routes().iter().any(|r| r.method == "Book.find"));
    assert!(api.routes().iter().any(|r| r.method == "Book.count"));
}

#[tokio::test]
async fn shared_methods_settings_hide_methods() {
    let app = app_with(vec![json!({
        "name": "Item", "properties": {"n": "number"},
        "options": {"remoting": {"sharedMethods": {"*": false, "find": true, "count": true}}}
    })])
    .await;
    let api = RestApi::new(&app);
    let methods: Vec<String> = api.routes().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["Item.count", "Item.find"]);
    assert_eq!(get(&api, "/api/Items").await.status, 200);
    assert_eq!(post(&api, "/api/Items", "{}").await.status, 404);
}

#[tokio::test]
async fn hooks_change_arguments_and_results() {
    let app = calc().await;
    let calcs = app.model("Calc").unwrap();
    calcs.before_remote("add", |mut ctx| async move {
        ctx.args.insert("b".into(), json!(100));
        Ok(ctx)
    });
    calcs.after_remote("add", |mut ctx| async move {
        ctx.result = Some(json!({"data": ctx.result}));
        Ok(ctx)
    });
    let api = RestApi::new(&app);
    assert_reply(
        &get(&api, "/api/Calcs/add?a=1&b=2").await,
        200,
        r#"{"data":{"sum":101.0}}"#,
    );
}

#[tokio::test]
async fn hooks_run_in_lb3_order_and_can_abort() {
    let app = calc().await;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let calcs = app.model("Calc").unwrap();
    for (pattern, on_model) in [
        ("**", false),
        ("*.stats", false),
        ("**", true),
        ("*", true),
        ("stats", true),
        ("prototype.*", true),
    ] {
        let log = log.clone();
        let label = format!("{}{pattern}", if on_model { "Calc." } else { "" });
        let hook = move |ctx| {
            log.lock().unwrap().push(label.clone());
            async move { Ok(ctx) }
        };
        if on_model {
            calcs.before_remote(pattern, hook);
        } else {
            app.before_remote(pattern, hook);
        }
    }
    let api = RestApi::new(&app);
    assert_eq!(get(&api, "/api/Calcs/stats").await.status, 200);
    assert_eq!(
        *log.lock().unwrap(),
        ["Calc.stats", "Calc.*", "Calc.**", "*.stats", "**"]
    );
    // A failing before hook aborts: the method does not run, afterRemoteError sees it.
    let seen = Arc::new(Mutex::new(None::<String>));
    calcs.before_remote("reset", |_ctx| async move {
        Err(Error::http(401, "must be logged in"))
    });
    let s = seen.clone();
    calcs.after_remote_error("reset", move |ctx| {
        *s.lock().unwrap() = ctx.error.as_ref().map(|e| e.to_string());
        async move { Ok(ctx) }
    });
    let api = RestApi::new(&app);
    let r = post(&api, "/api/Calcs/reset", "{}").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["message"], "must be logged in");
    assert_eq!(seen.lock().unwrap().as_deref(), Some("must be logged in"));
}

#[tokio::test]
async fn after_remote_error_hooks_may_replace_the_error() {
    let app = calc().await;
    app.after_remote_error("Calc.fail", |_ctx| async move {
        Err(Error::http(503, "See server console log for details."))
    });
    let api = RestApi::new(&app);
    let r = get(&api, "/api/Calcs/fail?kind=teapot").await;
    assert_eq!(r.status, 503);
}

#[tokio::test]
async fn hooks_wrap_built_in_methods() {
    let app = rest_support::app().await;
    let books = app.model("Book").unwrap();
    let names = Arc::new(Mutex::new(Vec::<String>::new()));
    let n = names.clone();
    books.before_remote("**", move |ctx| {
        n.lock().unwrap().push(ctx.method_string.clone());
        async move { Ok(ctx) }
    });
    // Fill in data the client left out, and narrow every find.
    books.before_remote("create", |mut ctx| async move {
        if let Some(Json::Object(data)) = ctx.args.get_mut("data") {
            data.entry("price").or_insert(json!(9));
        }
        Ok(ctx)
    });
    books.before_remote("find", |mut ctx| async move {
        ctx.args
            .insert("filter".into(), json!({"where": {"price": {"gt": 10}}}));
        Ok(ctx)
    });
    // Whitelist what clients see of a book (LB3's documented afterRemote('**') use).
    books.after_remote("find", |mut ctx| async move {
        if let Some(Json::Array(items)) = &mut ctx.result {
            for item in items.iter_mut() {
                if let Json::Object(o) = item {
                    o.retain(|k, _| k == "title");
                }
            }
        }
        Ok(ctx)
    });
    let api = RestApi::new(&app);
    let r = post(&api, "/api/Books", r#"{"title":"cheap"}"#).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["price"], 9);
    post(&api, "/api/Books", r#"{"title":"dear","price":50}"#).await;
    assert_reply(&get(&api, "/api/Books").await, 200, r#"[{"title":"dear"}]"#);
    // Hooks may not smuggle in what a client may not send: the filter is checked as ever.
    books.before_remote("count", |mut ctx| async move {
        ctx.args.insert("where".into(), json!({"secret": "x"}));
        Ok(ctx)
    });
    let api = RestApi::new(&app);
    assert_eq!(get(&api, "/api/Books/count").await.status, 400);
    assert_eq!(
        *names.lock().unwrap(),
        ["Book.create", "Book.create", "Book.find", "Book.count"]
    );
    // Errors of built-ins reach afterRemoteError.
    let seen = Arc::new(Mutex::new(0u16));
    let s = seen.clone();
    books.after_remote_error("findById", move |ctx| {
        *s.lock().unwrap() = ctx.error.as_ref().map_or(0, |e| e.status());
        async move { Ok(ctx) }
    });
    let api = RestApi::new(&app);
    assert_eq!(get(&api, "/api/Books/777").await.status, 404);
    assert_eq!(*seen.lock().unwrap(), 404);
}

#[tokio::test]
async fn remote_methods_are_callable_from_rust_with_their_hooks() {
    let app = people().await;
    let people = app.model("Person").unwrap();
    people.after_remote("greet", |mut ctx| async move {
        if let Some(Json::Object(o)) = &mut ctx.result {
            o.insert("hooked".into(), json!(true));
        }
        Ok(ctx)
    });
    let out = people
        .invoke_remote(
            "greet",
            json!({"msg": "Ann"}).as_object().unwrap().clone(),
            None,
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        Some(json!({"greeting": "Greetings... Ann", "hooked": true}))
    );
    let err = people
        .invoke_remote("greet", Default::default(), None, Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    let err = people
        .invoke_remote("nothing", Default::default(), None, Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

/// Sends a form (`application/x-www-form-urlencoded`) body.
async fn post_form(api: &RestApi, uri: &str, form: &str) -> rest_support::Reply {
    let req = loopback::rest::http::Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .unwrap();
    rest_support::call(api, req).await
}

#[tokio::test]
async fn form_bodies_are_read_as_express_reads_them() {
    let api = RestApi::new(&calc().await);
    // Form values are text: converted sloppily by the declared type.
    let r = post_form(&api, "/api/Calcs/rev-engine", "sound=vr%20oom&times=2").await;
    assert_reply(&r, 201, r#"{"engineSound":"vr oom vr oom"}"#);
    let r = post_form(&api, "/api/Calcs/rev-engine", "sound=x&times=two").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["message"], "Value is not a number.");
    // Built-in methods take form data as their data object.
    let api = RestApi::new(&rest_support::app().await);
    let r = post_form(&api, "/api/Books", "title=Dune&price=12").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["title"], "Dune");
    assert_eq!(r.json()["price"], 12);
}

#[tokio::test]
async fn instance_ids_are_percent_decoded_once() {
    let app = rest_support::app().await;
    let notes = app.model("Note").unwrap();
    let mut rec = loopback::Record::new();
    rec.insert("code", "a%b");
    rec.insert("body", "percent");
    notes.create(rec, &Default::default()).await.unwrap();
    notes
        .remote_method(
            RemoteMethod::new("prototype.body")
                .returns(Returns::new("body", ArgType::String))
                .http(HttpVerb::Get, "/body"),
            RemoteHandler::new(|call| async move {
                let body = call.instance.as_ref().and_then(|i| i.get("body"));
                Ok(body.map_or(Json::Null, |b| b.to_json()))
            }),
        )
        .unwrap();
    let api = RestApi::new(&app);
    // `%25` is `%`: the instance `a%b`, the same one `GET /my-notes/a%25b` finds.
    assert_reply(
        &get(&api, "/api/my-notes/a%25b").await,
        200,
        r#"{"code":"a%b","body":"percent"}"#,
    );
    assert_reply(
        &get(&api, "/api/my-notes/a%25b/body").await,
        200,
        r#"{"body":"percent"}"#,
    );
}
