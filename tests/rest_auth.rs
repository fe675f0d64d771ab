//! Access control over REST beyond the recorded LB3 matrix (`rest_auth_lb3.rs`): the rows of
//! `spec/security.md` that the matrix does not reach.

#![cfg(all(feature = "rest", feature = "memory"))]

mod rest_support;

use loopback::auth::AuthOptions;
use loopback::rest::http::Request;
use loopback::rest::RestApi;
use loopback::{connectors, App, ModelDefinition, Options, Record, Value};
use serde_json::{json, Value as Json};

async fn app() -> App {
    let app = App::new();
    app.data_source("db", connectors::memory());
    app.enable_auth_with(AuthOptions::new().data_source("db"))
        .await
        .unwrap();
    for def in [
        json!({"name": "Member", "base": "User", "properties": {"name": "string"}}),
        json!({"name": "Post", "properties": {"title": "string"},
            "relations": {"author": {"type": "belongsTo", "model": "Member", "foreignKey": "memberId"},
                          "secrets": {"type": "hasMany", "model": "Secret", "foreignKey": "postId"},
                          "comments": {"type": "hasMany", "model": "Comment", "foreignKey": "postId"}},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "accessType": "READ"}]}),
        json!({"name": "Comment", "properties": {"text": "string"},
            "relations": {"secrets": {"type": "hasMany", "model": "Secret", "foreignKey": "commentId"}},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "accessType": "READ"}]}),
        json!({"name": "Secret", "properties": {"text": "string"},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}]}),
    ] {
        app.define(ModelDefinition::from_lb3_json(&def).unwrap(), "db")
            .await
            .unwrap();
    }
    let o = Options::new();
    let member = app.model("Member").unwrap();
    let mut m = Record::new();
    m.insert("email", "m@example.com");
    m.insert("password", "member-pass");
    member.create(m, &o).await.unwrap();
    let mut p = Record::new();
    p.insert("title", "hello");
    p.insert("memberId", Value::Int(1));
    app.model("Post").unwrap().create(p, &o).await.unwrap();
    let mut s = Record::new();
    s.insert("text", "classified");
    s.insert("postId", Value::Int(1));
    app.model("Secret").unwrap().create(s, &o).await.unwrap();
    app
}

async fn login(api: &RestApi) -> String {
    let r = rest_support::post(
        api,
        "/api/Members/login",
        r#"{"email": "m@example.com", "password": "member-pass"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn get_as(api: &RestApi, uri: &str, token: &str) -> rest_support::Reply {
    let req = Request::get(rest_support::encode_uri(uri))
        .header("authorization", token)
        .body(String::new())
        .unwrap();
    rest_support::call(api, req).await
}

#[tokio::test]
async fn includes_are_checked_at_every_depth() {
    let app = app().await;
    let api = RestApi::new(&app);
    let token = login(&api).await;
    // Post is readable; Secret denies everyone, so including it is denied.
    assert_eq!(get_as(&api, "/api/Posts/1", &token).await.status, 200);
    let r = get_as(&api, r#"/api/Posts?filter={"include":"secrets"}"#, &token).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "AUTHORIZATION_REQUIRED");
    // An allowed relation alone passes; a denied one nested in its scope does not.
    let r = get_as(&api, r#"/api/Posts?filter={"include":"comments"}"#, &token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = get_as(
        &api,
        r#"/api/Posts?filter={"include":{"relation":"comments","scope":{"include":"secrets"}}}"#,
        &token,
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    // Member (a user model) denies `find` to everyone: including the author is denied too.
    let r = get_as(&api, r#"/api/Posts?filter={"include":"author"}"#, &token).await;
    assert_eq!(r.status, 401, "{}", r.text);
    // A relation route is a method of its source model: Post's ACLs apply, as in LB3.
    let r = get_as(&api, "/api/Posts/1/secrets", &token).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn expired_tokens_are_deleted_and_rejected() {
    let app = app().await;
    let api = RestApi::new(&app);
    let token = login(&api).await;
    let tokens = app.model("AccessToken").unwrap();
    // Age the token past its ttl.
    let mut data = Record::new();
    data.insert(
        "created",
        Value::Date(chrono::Utc::now() - chrono::Duration::days(30)),
    );
    let row = tokens
        .find_by_id(Value::String(token.clone()), None, &Options::new())
        .await
        .unwrap()
        .unwrap();
    tokens
        .patch_attributes(&row, data, &Options::new())
        .await
        .unwrap();
    let r = get_as(&api, "/api/Posts/1", &token).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "INVALID_TOKEN");
    assert!(tokens
        .find_by_id(Value::String(token.clone()), None, &Options::new())
        .await
        .unwrap()
        .is_none());
    // Gone now: the same token is an anonymous caller on a public READ.
    assert_eq!(get_as(&api, "/api/Posts/1", &token).await.status, 200);
}

#[tokio::test]
async fn access_tokens_cannot_be_minted_over_rest() {
    // Private by default (404), and even exposed, AccessToken denies everyone
    // (CVE-2018-1778): only login creates tokens.
    let app = app().await;
    let hidden = RestApi::new(&app);
    let r = rest_support::post(&hidden, "/api/AccessTokens", r#"{"userId": 1}"#).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = rest_support::post(
        &hidden,
        "/api/ACLs",
        r#"{"model": "*", "permission": "ALLOW"}"#,
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let api = RestApi::builder(&app).expose_model("AccessToken").build();
    let token = login(&api).await;
    for who in [None, Some(token.as_str())] {
        let mut req = Request::post("/api/AccessTokens").header("content-type", "application/json");
        if let Some(t) = who {
            req = req.header("authorization", t);
        }
        let r = rest_support::call(&api, req.body(r#"{"userId": 1}"#.to_owned()).unwrap()).await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    assert_eq!(
        app.model("AccessToken")
            .unwrap()
            .count(None, &Options::new())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn forged_and_oversized_credentials_fail_cleanly() {
    let app = app().await;
    let api = RestApi::new(&app);
    let cases: [(&str, u16, &str); 5] = [
        (
            r#"{"email": {"neq": null}, "password": "x"}"#,
            400,
            "INVALID_EMAIL",
        ),
        (
            r#"{"username": ["m"], "password": "x"}"#,
            400,
            "INVALID_USERNAME",
        ),
        (
            r#"{"email": "m@example.com", "password": {"gt": ""}}"#,
            401,
            "LOGIN_FAILED",
        ),
        (
            r#"{"email": "m@example.com", "password": "wrong"}"#,
            401,
            "LOGIN_FAILED",
        ),
        (
            r#"{"email": "nobody@example.com", "password": "member-pass"}"#,
            401,
            "LOGIN_FAILED",
        ),
    ];
    for (body, status, code) in cases {
        let r = rest_support::post(&api, "/api/Members/login", body).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        let j: Json = r.json();
        assert_eq!(j["error"]["code"], code, "{body}");
        assert!(!r.text.contains("password\":\"$2"), "no hash leaks");
    }
    let long = "a".repeat(73);
    let r = rest_support::post(
        &api,
        "/api/Members",
        &format!(r#"{{"email": "x@example.com", "password": "{long}"}}"#),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "PASSWORD_TOO_LONG");
    // A token of nobody: anonymous.
    assert_eq!(
        get_as(&api, "/api/Posts/1", &"x".repeat(64)).await.status,
        200
    );
    assert_eq!(
        get_as(&api, "/api/Members/1", &"x".repeat(64)).await.status,
        401
    );
}
