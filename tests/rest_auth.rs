//! Access control and the data rows of `spec/security.md` over REST, beyond the recorded LB3
//! matrix (`rest_auth_lb3.rs`), on every connector: each scenario runs on the memory connector,
//! on SQLite and, when `LOOPBACK_TEST_POSTGRES_URL` / `LOOPBACK_TEST_MYSQL_URL` are set, on
//! PostgreSQL and MySQL in a schema or database of its own (`on_every_connector!`).

#![cfg(all(feature = "rest", feature = "memory"))]

#[cfg(feature = "mysql")]
mod mysql_db;
#[cfg(feature = "postgres")]
mod pg_db;
#[macro_use]
mod rest_db;
mod rest_support;

use loopback::auth::{builtin_definition, BuiltinKind};
use loopback::mail::Mailer;
use loopback::rest::http::Request;
use loopback::rest::RestApi;
use loopback::{App, Options, Record, Value};
use rest_db::Db;
use serde_json::{json, Value as Json};

on_every_connector!(
    includes_are_checked_at_every_depth,
    expired_tokens_are_deleted_and_rejected,
    access_tokens_cannot_be_minted_over_rest,
    forged_and_oversized_credentials_fail_cleanly,
    user_models_with_equal_ids_never_share_rights,
    tokens_without_principal_type,
    verify_sends_the_verification_email,
    relation_routes_cannot_move_records,
    owners_cannot_hand_records_to_others,
    hidden_properties_are_no_oracle,
    prototype_keys_are_refused,
    deep_and_oversized_queries_are_refused,
    tokens_die_with_credentials_and_user,
    server_controlled_fields_cannot_be_assigned,
    operator_payloads_are_values_not_sql,
    unknown_and_extended_operators_are_refused,
    strict_models_refuse_unknown_properties,
    owner_keys_cannot_be_given_away,
    limits_cap_limit_lists_and_batches,
);

/// `Member` (a user model), `Post` (readable by everyone; belongsTo `author`, hasMany
/// `secrets` and `comments`), `Comment` (readable; hidden `note`; hasMany `secrets`),
/// `Secret` (denies everyone); member 1 `m@example.com`, post 1 by member 1, secret 1 of
/// post 1.
async fn app(db: &Db) -> App {
    let app = db.app(vec![
        json!({"name": "Member", "base": "User", "properties": {"name": "string"}}),
        json!({"name": "Post", "properties": {"title": "string"},
            "relations": {"author": {"type": "belongsTo", "model": "Member", "foreignKey": "memberId"},
                          "secrets": {"type": "hasMany", "model": "Secret", "foreignKey": "postId"},
                          "comments": {"type": "hasMany", "model": "Comment", "foreignKey": "postId"}},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "accessType": "READ"}]}),
        json!({"name": "Comment", "properties": {"text": "string", "note": "string"},
            "hidden": ["note"],
            "relations": {"secrets": {"type": "hasMany", "model": "Secret", "foreignKey": "commentId"}},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "accessType": "READ"}]}),
        json!({"name": "Secret", "properties": {"text": "string"},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}]}),
    ])
    .await;
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

/// The built-in AccessToken's table and `principalType` column as the connector names them.
fn token_table(db: &Db) -> &'static str {
    match db.kind() {
        rest_db::Kind::Postgres => "accesstoken",
        _ => "AccessToken",
    }
}

fn token_type_column(db: &Db) -> &'static str {
    match db.kind() {
        rest_db::Kind::Postgres => "principaltype",
        _ => "principalType",
    }
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

async fn includes_are_checked_at_every_depth(db: Db) {
    let app = app(&db).await;
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

async fn expired_tokens_are_deleted_and_rejected(db: Db) {
    let app = app(&db).await;
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

async fn access_tokens_cannot_be_minted_over_rest(db: Db) {
    // Private by default (404), and even exposed, AccessToken denies everyone
    // (CVE-2018-1778): only login creates tokens.
    let app = app(&db).await;
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
    assert_eq!(stored_count(&app, "AccessToken").await, 1);
}

async fn forged_and_oversized_credentials_fail_cleanly(db: Db) {
    let app = app(&db).await;
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

/// Sends `method uri` with an optional token (`Authorization`) and JSON body.
async fn send_as(
    api: &RestApi,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> rest_support::Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(rest_support::encode_uri(uri));
    if let Some(t) = token {
        req = req.header("authorization", t);
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req.body(body.unwrap_or_default().to_owned()).unwrap();
    rest_support::call(api, req).await
}

/// Logs in through `POST /api/{plural}/login` and returns the token id.
async fn login_to(api: &RestApi, plural: &str, email: &str, password: &str) -> String {
    let body = json!({"email": email, "password": password}).to_string();
    let r = rest_support::post(api, &format!("/api/{plural}/login"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// Creates a user of `model` from Rust and returns its id.
async fn user(app: &App, model: &str, email: &str, password: &str) -> Value {
    let mut u = Record::new();
    u.insert("email", email);
    u.insert("password", password);
    let saved = app
        .model(model)
        .unwrap()
        .create(u, &Options::new())
        .await
        .unwrap();
    saved.get("id").unwrap().clone()
}

/// How many records of `model` are stored, read from Rust.
async fn stored_count(app: &App, model: &str) -> u64 {
    app.model(model)
        .unwrap()
        .count(None, &Options::new())
        .await
        .unwrap()
}

/// A record read from Rust, as JSON (`null` when missing).
async fn stored(app: &App, model: &str, id: i64) -> Json {
    app.model(model)
        .unwrap()
        .find_by_id(Value::Int(id), None, &Options::new())
        .await
        .unwrap()
        .map_or(Json::Null, |r| r.to_json())
}

/// `Customer` and `Employee`, two user models (with the built-in `User`, three), and `Doc`,
/// owned by a customer.
fn multi_user_models() -> Vec<Json> {
    vec![
        json!({"name": "Customer", "base": "User"}),
        json!({"name": "Employee", "base": "User"}),
        json!({"name": "Doc", "properties": {"text": "string"},
            "relations": {"owner": {"type": "belongsTo", "model": "Customer", "foreignKey": "customerId"}},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
                     {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"}]}),
    ]
}

/// A token row as LoopBack 3 writes it, without `principalType`, for user 1.
async fn untyped_token(app: &App, id: &str) {
    let mut t = Record::new();
    t.insert("id", id);
    t.insert("ttl", Value::Int(1_209_600));
    t.insert("created", Value::Date(chrono::Utc::now()));
    t.insert("userId", Value::Int(1));
    app.model("AccessToken")
        .unwrap()
        .create(t, &Options::new())
        .await
        .unwrap();
}

/// Customer 1 and employee 1 (equal ids), customer 1's doc; each logs in, and neither token
/// is the other's user: for `$owner` (the user itself and a related record), for `me`, for
/// the user's own methods and for change-password.
async fn equal_ids_grant_only_own_rights(app: &App) {
    let c = user(app, "Customer", "c@example.com", "customer-pass").await;
    let e = user(app, "Employee", "e@example.com", "employee-pass").await;
    assert_eq!((c.clone(), e), (Value::Int(1), Value::Int(1)), "equal ids");
    let mut d = Record::new();
    d.insert("text", "customer's doc");
    d.insert("customerId", c);
    app.model("Doc")
        .unwrap()
        .create(d, &Options::new())
        .await
        .unwrap();
    let api = RestApi::builder(app).current_user_literal("me").build();
    let ct = login_to(&api, "Customers", "c@example.com", "customer-pass").await;
    let et = login_to(&api, "Employees", "e@example.com", "employee-pass").await;

    for uri in ["/api/Docs/1", "/api/Customers/1", "/api/Customers/me"] {
        let r = send_as(&api, "GET", uri, Some(&ct), None).await;
        assert_eq!(r.status, 200, "{uri} as the customer: {}", r.text);
        let r = send_as(&api, "GET", uri, Some(&et), None).await;
        assert_eq!(r.status, 401, "{uri} as the employee: {}", r.text);
        assert!(!r.text.contains("c@example.com"), "{uri}: {}", r.text);
    }
    for (uri, token) in [("/api/Employees/me", &et), ("/api/Employees/1", &et)] {
        let r = send_as(&api, "GET", uri, Some(token), None).await;
        assert_eq!(r.json()["email"], "e@example.com", "{}", r.text);
    }
    let r = send_as(&api, "GET", "/api/Employees/1", Some(&ct), None).await;
    assert_eq!(r.status, 401, "an employee as the customer: {}", r.text);
    // Each may change their own record, not the other's.
    let r = send_as(
        &api,
        "PATCH",
        "/api/Employees/1",
        Some(&et),
        Some(r#"{"username": "emp"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for (method, uri, body) in [
        ("PATCH", "/api/Customers/1", r#"{"username": "taken"}"#),
        ("PATCH", "/api/Docs/1", r#"{"text": "taken"}"#),
        (
            "POST",
            "/api/Customers/change-password",
            r#"{"oldPassword": "customer-pass", "newPassword": "hijacked-pass"}"#,
        ),
        ("DELETE", "/api/Customers/1", ""),
        ("DELETE", "/api/Docs/1", ""),
    ] {
        let body = Some(body).filter(|b| !b.is_empty());
        let r = send_as(&api, method, uri, Some(&et), body).await;
        assert!(
            matches!(r.status.as_u16(), 401 | 403),
            "{method} {uri} as the employee: {} {}",
            r.status,
            r.text
        );
    }
    // Nothing changed: the customer still logs in with the old password and owns the doc.
    login_to(&api, "Customers", "c@example.com", "customer-pass").await;
    assert_eq!(stored(app, "Doc", 1).await["text"], "customer's doc");
    let customer = stored(app, "Customer", 1).await;
    assert_eq!(customer["username"], Json::Null, "username untouched");
    // The employee's password change is its own.
    let r = send_as(
        &api,
        "POST",
        "/api/Employees/change-password",
        Some(&et),
        Some(r#"{"oldPassword": "employee-pass", "newPassword": "new-employee-pass"}"#),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    login_to(&api, "Customers", "c@example.com", "customer-pass").await;
    login_to(&api, "Employees", "e@example.com", "new-employee-pass").await;
}

/// Principal-type confusion (LB advisory 10-24-2017, `multiple-user-principal-types`): two
/// user models whose users have the same id share a token model. The built-in AccessToken
/// records each token's user model in `principalType`, as does a token model with LB3's
/// polymorphic `user` relation: a token of one is never the other's user. A row that records
/// no principal type (written by LoopBack 3) cannot be told apart, and is refused.
async fn user_models_with_equal_ids_never_share_rights(db: Db) {
    let app = db.app(multi_user_models()).await;
    equal_ids_grant_only_own_rights(&app).await;
    let token = app.model("AccessToken").unwrap();
    let rows = token
        .find(Default::default(), &Options::new())
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        let t = row.get("principalType").cloned().unwrap_or(Value::Null);
        assert!(
            t == Value::from("Customer") || t == Value::from("Employee"),
            "{t:?}"
        );
    }
    let api = RestApi::builder(&app).current_user_literal("me").build();
    let untyped = "LoopBack3WroteThisTokenWithoutAPrincipalType000000000000000000001";
    untyped_token(&app, untyped).await;
    for uri in ["/api/Customers/1", "/api/Employees/me", "/api/Docs/1"] {
        let r = send_as(&api, "GET", uri, Some(untyped), None).await;
        assert_eq!(r.status, 401, "{uri}: {}", r.text);
        assert_eq!(r.json()["error"]["code"], "INVALID_TOKEN", "{}", r.text);
        assert!(!r.text.contains("@example.com"), "{uri}: {}", r.text);
    }
    // It is not deleted: it just cannot be used.
    assert!(token
        .find_by_id(Value::from(untyped), None, &Options::new())
        .await
        .unwrap()
        .is_some());
    drop(api);
    drop(app);

    // LB3's multi-user set-up: a token model with a polymorphic `user` relation.
    let db = db.fresh().await;
    let mut token = builtin_definition(BuiltinKind::AccessToken).to_lb3_json();
    token["relations"]["user"] = json!({"type": "belongsTo", "idName": "id",
        "polymorphic": {"idType": "number", "foreignKey": "userId", "discriminator": "principalType"}});
    let app = db.app_with(vec![token], multi_user_models()).await;
    equal_ids_grant_only_own_rights(&app).await;
}

/// Tokens written by LoopBack 3 record no principal type. With one user model they are that
/// model's (LB3's own tables keep working); on a SQL table that LoopBack 3 created, without
/// the `principalType` column, tokens are read and written without it, and several user
/// models sharing it refuse to log in (naming `loopback migrate --autoupdate`) until the
/// column is added.
async fn tokens_without_principal_type(db: Db) {
    let app = db
        .app_with(vec![json!({"name": "Member", "base": "User"})], Vec::new())
        .await;
    assert_eq!(app.user_models().len(), 1);
    user(&app, "Member", "m@example.com", "member-pass").await;
    let api = RestApi::builder(&app).current_user_literal("me").build();
    let untyped = "LoopBack3WroteThisTokenWithoutAPrincipalType000000000000000000002";
    untyped_token(&app, untyped).await;
    let r = send_as(&api, "GET", "/api/Members/me", Some(untyped), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["email"], "m@example.com");
    let typed = login_to(&api, "Members", "m@example.com", "member-pass").await;
    let r = send_as(&api, "GET", "/api/Members/1", Some(&typed), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    drop(api);
    drop(app);
    if !db.is_sql() {
        return;
    }

    // A LoopBack 3 table: no `principalType` column.
    let db = db.fresh().await;
    let app = db
        .app_with(vec![json!({"name": "Member", "base": "User"})], Vec::new())
        .await;
    db.drop_column(token_table(&db), token_type_column(&db))
        .await;
    user(&app, "Member", "m@example.com", "member-pass").await;
    let api = RestApi::builder(&app).current_user_literal("me").build();
    let token = login_to(&api, "Members", "m@example.com", "member-pass").await;
    let r = send_as(&api, "GET", "/api/Members/me", Some(&token), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["email"], "m@example.com");
    untyped_token(&app, untyped).await;
    let r = send_as(&api, "GET", "/api/Members/1", Some(untyped), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Changing the password drops the other tokens (no principal type to filter on).
    let r = send_as(
        &api,
        "POST",
        "/api/Members/change-password",
        Some(&token),
        Some(r#"{"oldPassword": "member-pass", "newPassword": "new-member-pass"}"#),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send_as(&api, "GET", "/api/Members/1", Some(untyped), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
    drop(api);
    drop(app);

    // Several user models on such a table: no login until it is migrated.
    let db = db.fresh().await;
    let app = db.app(multi_user_models()).await;
    db.drop_column(token_table(&db), token_type_column(&db))
        .await;
    user(&app, "Customer", "c@example.com", "customer-pass").await;
    let api = RestApi::new(&app);
    let body = json!({"email": "c@example.com", "password": "customer-pass"}).to_string();
    let r = rest_support::post(&api, "/api/Customers/login", &body).await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(!r.text.contains("\"id\""), "{}", r.text);
    let err = app
        .model("Customer")
        .unwrap()
        .login(
            &json!({"email": "c@example.com", "password": "customer-pass"}),
            &[],
            &Options::new(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("loopback migrate --autoupdate"),
        "{err}"
    );
    untyped_token(&app, untyped).await;
    let r = send_as(&api, "GET", "/api/Customers/1", Some(untyped), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
    // Once the nullable column exists (`loopback migrate --autoupdate` adds it to a live
    // database; the tables are made again here), logins work again.
    drop(api);
    drop(app);
    let app = db.app(multi_user_models()).await;
    equal_ids_grant_only_own_rights(&app).await;
}

/// A stub mailer (LB3's `stub` transport) registered as the app's `email` data source.
fn stub_mailer(app: &App) -> Mailer {
    let m = Mailer::from_lb3_settings(
        &json!({"name": "email", "connector": "mail", "transports": [{"type": "stub"}]}),
    )
    .unwrap();
    app.register_mailer("email", m.clone());
    m
}

/// The verification link of a mail's text, and its token.
fn verification_link(text: &str) -> (String, String) {
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap_or_else(|| panic!("no link in {text}"))
        .to_owned();
    let token = link.rsplit("token=").next().unwrap().to_owned();
    (link, token)
}

/// `POST /:id/verify` (LB3's `User.prototype.verify`, ACL `$everyone` EXECUTE): the
/// verification email is sent again, with a new token, through the registered mailer; the
/// link confirms the address. As in LB3, anyone may ask (a user who cannot log in before
/// verifying is its caller), and verified users get one too.
async fn verify_sends_the_verification_email(db: Db) {
    let app = db
        .app_with(
            vec![json!({"name": "Member", "base": "User",
                "options": {"emailVerificationRequired": true}})],
            Vec::new(),
        )
        .await;
    let mailer = stub_mailer(&app);
    let outbox = mailer.memory().unwrap();
    user(&app, "Member", "m@example.com", "member-pass").await;
    user(&app, "Member", "n@example.com", "other-pass").await;
    let api = RestApi::new(&app);
    let creds = r#"{"email": "m@example.com", "password": "member-pass"}"#;
    let r = rest_support::post(&api, "/api/Members/login", creds).await;
    assert_eq!(r.json()["error"]["code"], "LOGIN_FAILED_EMAIL_NOT_VERIFIED");

    let r = rest_support::post(&api, "/api/Members/1/verify", "").await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");
    let sent = outbox.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, ["m@example.com"]);
    assert_eq!(sent[0].from.as_deref(), Some("noreply@example.com"));
    assert_eq!(sent[0].subject, "Thanks for Registering");
    let text = sent[0].text.clone().unwrap();
    assert!(
        text.starts_with("Please verify your email by opening this link in a web browser:\n\t"),
        "{text}"
    );
    let (link, token) = verification_link(&text);
    assert!(
        link.starts_with("http://localhost:3000/api/Members/confirm?uid=1&redirect=%2F&token="),
        "{link}"
    );
    assert_eq!(token.len(), 128);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let html = sent[0].html.clone().unwrap();
    assert!(html.contains(&link.replace('&', "&amp;")), "{html}");
    assert_eq!(
        stored(&app, "Member", 1).await["verificationToken"],
        json!(token)
    );
    // The link confirms the address; then the member logs in.
    let r = rest_support::get(&api, &format!("/api/Members/confirm?uid=1&token={token}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = rest_support::post(&api, "/api/Members/login", creds).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let member_token = r.json()["id"].as_str().unwrap().to_owned();

    // A verified member, another member's token: LB3 sends a new email all the same.
    let other = login_to_unverified(&app, "n@example.com").await;
    for token in [Some(member_token.as_str()), Some(other.as_str()), None] {
        let r = send_as(&api, "POST", "/api/Members/1/verify", token, None).await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let sent = outbox.messages();
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|m| m.to == ["m@example.com"]));
    let (_, last) = verification_link(sent[3].text.as_deref().unwrap());
    assert_ne!(last, token);
    let m = stored(&app, "Member", 1).await;
    assert_eq!(
        (m["verificationToken"].clone(), m["emailVerified"].clone()),
        (json!(last), json!(true))
    );
    // An unknown user is 404; nothing is sent.
    let r = rest_support::post(&api, "/api/Members/99/verify", "").await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(outbox.messages().len(), 4);

    // From Rust, with options: the link follows them, the result is LB3's.
    let member = app.model("Member").unwrap();
    let n = member
        .find_by_id(Value::Int(2), None, &Options::new())
        .await
        .unwrap()
        .unwrap();
    let v = member
        .verify(
            &n,
            &json!({"type": "email", "from": "Shop <accounts@example.com>",
                "subject": "Confirm", "redirect": "/welcome", "protocol": "https",
                "host": "shop.example.com", "port": 443, "text": "Open {href} now"}),
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(v.uid, Value::Int(2));
    assert_eq!(v.email.envelope.to, ["n@example.com"]);
    let sent = outbox.messages();
    let text = sent.last().unwrap().text.clone().unwrap();
    assert_eq!(
        text,
        format!(
            "Open https://shop.example.com/api/Members/confirm?uid=2&redirect=%2Fwelcome&token={} now",
            v.token
        )
    );
    assert_eq!(sent.last().unwrap().subject, "Confirm");
    // Options without `from`, or an unknown verification type, are refused.
    for bad in [
        json!({"type": "email"}),
        json!({"type": "sms", "from": "a@example.com"}),
    ] {
        assert!(member.verify(&n, &bad, &Options::new()).await.is_err());
    }
    drop(api);
    drop(app);

    // Without a mail data source, the call fails and stores no token.
    let db = db.fresh().await;
    let app = db
        .app_with(vec![json!({"name": "Member", "base": "User"})], Vec::new())
        .await;
    user(&app, "Member", "m@example.com", "member-pass").await;
    let api = RestApi::new(&app);
    let r = rest_support::post(&api, "/api/Members/1/verify", "").await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert_eq!(
        stored(&app, "Member", 1).await["verificationToken"],
        Json::Null
    );
}

/// A token of a member who has not verified their email (made from Rust: they cannot log in).
async fn login_to_unverified(app: &App, email: &str) -> String {
    let member = app.model("Member").unwrap();
    let user = member
        .find_one(
            loopback::Filter::with_where(loopback::Where::eq("email", email)),
            &Options::new(),
        )
        .await
        .unwrap()
        .unwrap();
    member
        .create_access_token(&user, None, Vec::new(), &Options::new())
        .await
        .unwrap()
        .id
}

/// IDOR through relation routes (LB advisory 01-31-2018, juggler `preventFkOverride`): a
/// relation-scoped create or update cannot put the record under another owner.
async fn relation_routes_cannot_move_records(db: Db) {
    let app = app(&db).await;
    let mut p = Record::new();
    p.insert("title", "other");
    app.model("Post")
        .unwrap()
        .create(p, &Options::new())
        .await
        .unwrap();
    let api = RestApi::new(&app);
    // Create through post 1 naming post 2: refused; without it, the scope sets the key.
    let r = rest_support::post(
        &api,
        "/api/Posts/1/comments",
        r#"{"text": "first", "postId": 2}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(stored_count(&app, "Comment").await, 0);
    let r = rest_support::post(&api, "/api/Posts/1/comments", r#"{"text": "first"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["postId"], 1, "{}", r.text);
    // Update or replace through the relation naming post 2: refused, nothing moves.
    for method in ["PUT", "PATCH"] {
        let r = send_as(
            &api,
            method,
            "/api/Posts/1/comments/1",
            None,
            Some(r#"{"text": "moved", "postId": 2}"#),
        )
        .await;
        // LB3 routes only PUT here (`__updateById__comments`); a PATCH finds no route.
        if method == "PATCH" && r.status == 404 {
            continue;
        }
        assert_eq!(r.status, 400, "{method}: {}", r.text);
        assert_eq!(
            r.json()["error"]["message"],
            "Cannot override foreign key postId"
        );
    }
    let c = stored(&app, "Comment", 1).await;
    assert_eq!(
        (c["postId"].clone(), c["text"].clone()),
        (json!(1), json!("first"))
    );
    // Post 2 cannot reach post 1's comment through its own relation.
    let r = send_as(
        &api,
        "PUT",
        "/api/Posts/2/comments/1",
        None,
        Some(r#"{"text": "stolen"}"#),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = rest_support::get(&api, "/api/Posts/2/comments").await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, "[]"));
    // The same update keeping the scope is fine.
    let r = send_as(
        &api,
        "PUT",
        "/api/Posts/1/comments/1",
        None,
        Some(r#"{"text": "edited", "postId": 1}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored(&app, "Comment", 1).await["text"], "edited");
}

/// `$owner` records (`PATCH /:id` changing the owner FK, spec/security.md): another user can
/// neither change nor take a record, even naming themselves as the owner.
async fn owners_cannot_hand_records_to_others(db: Db) {
    let app = db
        .app(vec![
            json!({"name": "Member", "base": "User"}),
            json!({"name": "Entry", "properties": {"text": "string"},
                "relations": {"member": {"type": "belongsTo", "model": "Member", "foreignKey": "memberId"}},
                "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
                         {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"}]}),
        ])
        .await;
    let m1 = user(&app, "Member", "m1@example.com", "pass-one").await;
    user(&app, "Member", "m2@example.com", "pass-two").await;
    let mut e = Record::new();
    e.insert("text", "mine");
    e.insert("memberId", m1);
    app.model("Entry")
        .unwrap()
        .create(e, &Options::new())
        .await
        .unwrap();
    let api = RestApi::new(&app);
    let t2 = login_to(&api, "Members", "m2@example.com", "pass-two").await;
    for (method, body) in [
        ("PATCH", Some(r#"{"memberId": 2}"#)),
        ("PUT", Some(r#"{"text": "taken", "memberId": 2}"#)),
        ("DELETE", None),
    ] {
        let r = send_as(&api, method, "/api/Entries/1", Some(&t2), body).await;
        assert_eq!(r.status, 401, "{method}: {}", r.text);
    }
    let r = send_as(
        &api,
        "POST",
        "/api/Entries/upsertWithWhere?where={\"id\":1}",
        Some(&t2),
        Some(r#"{"memberId": 2}"#),
    )
    .await;
    assert_eq!(r.status, 401, "upsertWithWhere: {}", r.text);
    let e = stored(&app, "Entry", 1).await;
    assert_eq!(
        (e["memberId"].clone(), e["text"].clone()),
        (json!(1), json!("mine"))
    );
    let r = send_as(&api, "GET", "/api/Entries/1", Some(&t2), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
}

/// The hidden-field oracle (juggler `prohibitHiddenPropertiesInQuery`): a hidden property
/// cannot be used in `where`, `order` or `fields`, at the top level, in a relation route's
/// filter or in an include's scope.
async fn hidden_properties_are_no_oracle(db: Db) {
    let app = app(&db).await;
    let mut c = Record::new();
    c.insert("text", "visible");
    c.insert("note", "n-secret");
    c.insert("postId", Value::Int(1));
    app.model("Comment")
        .unwrap()
        .create(c, &Options::new())
        .await
        .unwrap();
    let api = RestApi::new(&app);
    for uri in [
        r#"/api/Comments?filter={"where":{"note":{"like":"n-%"}}}"#,
        r#"/api/Comments?filter={"where":{"or":[{"text":"x"},{"note":"n-secret"}]}}"#,
        r#"/api/Comments?filter={"order":"note ASC"}"#,
        r#"/api/Comments/count?where={"note":"n-secret"}"#,
        r#"/api/Comments/findOne?filter={"where":{"note":"n-secret"}}"#,
        r#"/api/Posts/1/comments?filter={"where":{"note":"n-secret"}}"#,
        r#"/api/Posts/1/comments/count?where={"note":"n-secret"}"#,
        r#"/api/Posts?filter={"where":{"comments.note":"n-secret"}}"#,
        r#"/api/Posts?filter={"include":{"relation":"comments","scope":{"where":{"note":"n-secret"}}}}"#,
        r#"/api/Posts?filter={"include":{"relation":"comments","scope":{"order":"note DESC"}}}"#,
        r#"/api/Posts/1?filter={"include":{"relation":"comments","scope":{"where":{"note":"n-secret"}}}}"#,
    ] {
        let r = rest_support::get(&api, uri).await;
        assert_eq!(r.status, 400, "{uri}: {}", r.text);
        assert!(!r.text.contains("n-secret\"}]"), "{uri}: {}", r.text);
    }
    // `fields` naming it is stripped: the value never shows, at any depth.
    for uri in [
        r#"/api/Comments?filter={"fields":["text","note"]}"#,
        r#"/api/Comments?filter={"fields":{"note":true}}"#,
        r#"/api/Comments/1?filter={"fields":["note"]}"#,
        r#"/api/Posts?filter={"include":"comments"}"#,
        r#"/api/Posts?filter={"include":{"relation":"comments","scope":{"fields":["text","note"]}}}"#,
        r#"/api/Posts/1/comments?filter={"fields":["text","note"]}"#,
    ] {
        let r = rest_support::get(&api, uri).await;
        if r.status == 200 {
            assert!(
                !r.text.contains("n-secret") && !r.text.contains("note"),
                "{uri}: {}",
                r.text
            );
        } else {
            assert_eq!(r.status, 400, "{uri}: {}", r.text);
        }
    }
    let r = rest_support::get(&api, r#"/api/Posts?filter={"include":"comments"}"#).await;
    assert!(r.text.contains("visible"), "{}", r.text);
}

/// Prototype pollution (CVE-2020-4988, juggler #1805): `__proto__`, `constructor` and
/// `prototype` keys are refused in bodies and in filters, at any depth, and nothing is
/// written.
async fn prototype_keys_are_refused(db: Db) {
    let app = app(&db).await;
    let api = RestApi::new(&app);
    for (method, uri, body) in [
        (
            "POST",
            "/api/Posts",
            r#"{"title": "x", "__proto__": {"admin": true}}"#,
        ),
        (
            "POST",
            "/api/Posts",
            r#"{"title": "x", "constructor": {"prototype": {"admin": true}}}"#,
        ),
        ("POST", "/api/Posts", r#"[{"title": "x", "prototype": 1}]"#),
        (
            "PATCH",
            "/api/Posts/1",
            r#"{"__proto__": {"title": "polluted"}}"#,
        ),
        (
            "PUT",
            "/api/Posts/1",
            r#"{"title": "polluted", "constructor": 1}"#,
        ),
        (
            "POST",
            "/api/Posts/1/comments",
            r#"{"text": "x", "__proto__": {"admin": true}}"#,
        ),
    ] {
        let r = send_as(&api, method, uri, None, Some(body)).await;
        assert_eq!(r.status, 400, "{method} {uri} {body}: {}", r.text);
    }
    for uri in [
        r#"/api/Posts?filter={"where":{"__proto__":{"title":"x"}}}"#,
        "/api/Posts?filter[where][constructor][prototype]=1",
        r#"/api/Posts?filter={"where":{"title":{"constructor":"x"}}}"#,
        r#"/api/Posts?filter={"include":{"relation":"comments","scope":{"where":{"prototype":1}}}}"#,
        r#"/api/Posts/count?where={"__proto__":{"x":1}}"#,
        r#"/api/Posts?filter={"order":"title ASC","__proto__":{"limit":1}}"#,
    ] {
        let r = rest_support::get(&api, uri).await;
        assert_eq!(r.status, 400, "{uri}: {}", r.text);
    }
    let posts = app
        .model("Post")
        .unwrap()
        .find(Default::default(), &Options::new())
        .await
        .unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(stored(&app, "Post", 1).await["title"], "hello");
    assert_eq!(stored_count(&app, "Comment").await, 0);
}

/// DoS by deep or huge queries (juggler `maxDepthOfQuery`, `QUERY_OBJECT_TOO_DEEP`): too deep
/// `where` and include trees are 400 before any query, an oversized body is 413.
async fn deep_and_oversized_queries_are_refused(db: Db) {
    let app = app(&db).await;
    let api = RestApi::new(&app);
    let mut deep = json!({"title": "hello"});
    for _ in 0..40 {
        deep = json!({"and": [deep]});
    }
    let uri = format!("/api/Posts?filter={}", json!({"where": deep}));
    let r = rest_support::get(&api, &uri).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.json()["error"]["code"],
        "QUERY_OBJECT_TOO_DEEP",
        "{}",
        r.text
    );
    // The same shape, shallow enough, is answered.
    let mut shallow = json!({"title": "hello"});
    for _ in 0..3 {
        shallow = json!({"and": [shallow]});
    }
    let uri = format!("/api/Posts?filter={}", json!({"where": shallow}));
    let r = rest_support::get(&api, &uri).await;
    assert_eq!(
        (r.status.as_u16(), r.json()[0]["title"].clone()),
        (200, json!("hello"))
    );
    // Include trees deeper than the cap.
    let mut include = json!("comments");
    for _ in 0..10 {
        include = json!({"relation": "comments", "scope": {"include": include}});
    }
    let uri = format!("/api/Posts?filter={}", json!({"include": include}));
    let r = rest_support::get(&api, &uri).await;
    assert_eq!(r.status, 400, "{}", r.text);
    // A body over the limit (100 kB by default) is refused, and nothing is written.
    let big = json!({"title": "x".repeat(200 * 1024)}).to_string();
    let r = rest_support::post(&api, "/api/Posts", &big).await;
    assert_eq!(r.status, 413, "{}", &r.text[..r.text.len().min(200)]);
    assert_eq!(stored_count(&app, "Post").await, 1);
}

/// Session persistence after account changes (loopback "security issue 580",
/// `_invalidateAccessTokensOfUsers`): an email change or a password change ends the user's
/// other sessions (the current one is kept, as in LB3); deleting the user ends all of them.
async fn tokens_die_with_credentials_and_user(db: Db) {
    let app = app(&db).await;
    let api = RestApi::new(&app);
    let (t1, t2) = (login(&api).await, login(&api).await);
    let me = "/api/Members/1";
    let r = send_as(
        &api,
        "PATCH",
        me,
        Some(&t1),
        Some(r#"{"email": "new@example.com"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(send_as(&api, "GET", me, Some(&t2), None).await.status, 401);
    assert_eq!(send_as(&api, "GET", me, Some(&t1), None).await.status, 200);
    // A name change leaves sessions alone.
    let t3 = login_to(&api, "Members", "new@example.com", "member-pass").await;
    let r = send_as(&api, "PATCH", me, Some(&t1), Some(r#"{"name": "Em"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(send_as(&api, "GET", me, Some(&t3), None).await.status, 200);
    // A password change ends t3.
    let r = send_as(
        &api,
        "POST",
        "/api/Members/change-password",
        Some(&t1),
        Some(r#"{"oldPassword": "member-pass", "newPassword": "other-pass"}"#),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(send_as(&api, "GET", me, Some(&t3), None).await.status, 401);
    assert_eq!(send_as(&api, "GET", me, Some(&t1), None).await.status, 200);
    let t4 = login_to(&api, "Members", "new@example.com", "other-pass").await;
    // Deleting the user ends every session, and its tokens are gone from the store.
    let r = send_as(&api, "DELETE", me, Some(&t1), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for t in [&t1, &t4] {
        let r = send_as(&api, "GET", "/api/Posts/1", Some(t), None).await;
        assert_eq!(
            r.status, 200,
            "a dead token is an anonymous caller: {}",
            r.text
        );
        assert_eq!(send_as(&api, "GET", me, Some(t), None).await.status, 401);
    }
    assert_eq!(stored_count(&app, "AccessToken").await, 0);
}

/// Mass assignment (loopback `d9ae3242`, forceId): `emailVerified` and `verificationToken`
/// cannot be set through REST create or patch, and a generated id cannot be chosen.
async fn server_controlled_fields_cannot_be_assigned(db: Db) {
    let app = app(&db).await;
    let api = RestApi::new(&app);
    let r = rest_support::post(
        &api,
        "/api/Members",
        r#"{"email": "x@example.com", "password": "x-pass", "emailVerified": true, "verificationToken": "chosen"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["id"], 2, "{}", r.text);
    let u = stored(&app, "Member", 2).await;
    assert_ne!(u["emailVerified"], json!(true), "{u}");
    assert_ne!(u["verificationToken"], json!("chosen"), "{u}");
    let t = login_to(&api, "Members", "x@example.com", "x-pass").await;
    let r = send_as(
        &api,
        "PATCH",
        "/api/Members/2",
        Some(&t),
        Some(r#"{"emailVerified": true, "verificationToken": "chosen", "name": "X"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let u = stored(&app, "Member", 2).await;
    assert_eq!(u["name"], "X", "{u}");
    assert_ne!(u["emailVerified"], json!(true), "{u}");
    assert_ne!(u["verificationToken"], json!("chosen"), "{u}");
    // Confirming with the chosen token does nothing.
    let r = rest_support::get(&api, "/api/Members/confirm?uid=2&token=chosen").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_ne!(
        stored(&app, "Member", 2).await["emailVerified"],
        json!(true)
    );
    // A generated id (forceId) cannot be chosen on create.
    let r = rest_support::post(&api, "/api/Posts", r#"{"id": 42, "title": "x"}"#).await;
    assert!(r.status.is_client_error(), "{}", r.text);
    assert_eq!(stored(&app, "Post", 42).await, Json::Null);
}

/// SQL injection through operators (CVE-2022-35942): hostile strings given to every string
/// operator over REST are compared as values (bound parameters), never run; the table is
/// intact afterwards.
async fn operator_payloads_are_values_not_sql(db: Db) {
    let app = app(&db).await;
    let api = RestApi::new(&app);
    let payloads = [
        "' OR '1'='1",
        "hello' --",
        "\\' OR 1=1 --",
        "$1",
        "%' OR title LIKE '%",
        "\"; DROP TABLE \"post\"; --",
        "hello\u{0}",
    ];
    // (operator, whether the row `hello` matches whatever the payload)
    let ops = [
        ("eq", false),
        ("like", false),
        ("ilike", false),
        ("regexp", false),
        ("neq", true),
        ("nlike", true),
        ("nilike", true),
    ];
    // PostgreSQL text cannot hold NUL: such values are refused with a 400 that says so.
    let refuses_nul = db.kind() == rest_db::Kind::Postgres;
    for payload in payloads {
        // PostgreSQL text cannot hold NUL: such values are refused with a 400 that says so.
        let nul_refused = |r: &rest_support::Reply| {
            refuses_nul && payload.contains('\u{0}') && r.status == 400 && r.text.contains("NUL")
        };
        for (op, matches) in ops {
            let filter = json!({"where": {"title": {op: payload}}});
            let uri = format!("/api/Posts?filter={filter}");
            let r = rest_support::get(&api, &uri).await;
            if op == "regexp" && r.status == 400 {
                continue; // not a valid pattern: refused before any query
            }
            if nul_refused(&r) {
                continue;
            }
            assert_eq!(r.status, 200, "{op} {payload:?}: {}", r.text);
            let rows = r.json().as_array().unwrap().len();
            assert_eq!(rows, usize::from(matches), "{op} {payload:?}: {}", r.text);
        }
        for (op, value, matches) in [
            ("inq", json!([payload, payload]), false),
            ("nin", json!([payload]), true),
            ("between", json!([payload, payload]), false),
        ] {
            let filter = json!({"where": {"title": {op: value}}});
            let r = rest_support::get(&api, &format!("/api/Posts?filter={filter}")).await;
            if nul_refused(&r) {
                continue;
            }
            assert_eq!(r.status, 200, "{op} {payload:?}: {}", r.text);
            let rows = r.json().as_array().unwrap().len();
            assert_eq!(rows, usize::from(matches), "{op} {payload:?}: {}", r.text);
        }
        // Written and read back unchanged.
        let body = json!({"title": payload}).to_string();
        let r = rest_support::post(&api, "/api/Posts", &body).await;
        if payload.contains('\u{0}') && refuses_nul {
            assert!(nul_refused(&r), "{}", r.text);
            continue;
        }
        assert_eq!(r.status, 200, "{payload:?}: {}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        let r = rest_support::get(&api, &format!("/api/Posts/{id}")).await;
        assert_eq!(r.json()["title"], payload);
        let where_ = json!({"title": payload});
        let r = rest_support::get(&api, &format!("/api/Posts/count?where={where_}")).await;
        assert_eq!(r.json()["count"], 1, "{payload:?}: {}", r.text);
        send_as(&api, "DELETE", &format!("/api/Posts/{id}"), None, None).await;
    }
    assert_eq!(stored(&app, "Post", 1).await["title"], "hello");
    let r = rest_support::get(&api, "/api/Posts/count").await;
    assert_eq!(r.text, r#"{"count":1}"#);
}

/// NoSQL-style injection (LB advisory 08-15-2018): `$`-prefixed keys anywhere in a filter are
/// refused (LB3 `allowExtendedOperators` is off by default), and so are unknown operators.
async fn unknown_and_extended_operators_are_refused(db: Db) {
    let app = app(&db).await;
    let api = RestApi::new(&app);
    for filter in [
        json!({"where": {"$where": "function() { sleep(5000); return true; }"}}),
        json!({"where": {"title": {"$regex": "^h"}}}),
        json!({"where": {"title": {"$ne": null}}}),
        json!({"where": {"or": [{"title": "x"}, {"$expr": {"title": "hello"}}]}}),
        json!({"include": {"relation": "comments", "scope": {"where": {"$where": "1"}}}}),
    ] {
        let uri = format!("/api/Posts?filter={filter}");
        let r = rest_support::get(&api, &uri).await;
        assert_eq!(r.status, 400, "{filter}: {}", r.text);
    }
    let r = rest_support::get(&api, r#"/api/Posts/count?where={"$where":"1"}"#).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = rest_support::post(
        &api,
        r#"/api/Posts/update?where={"title":{"$ne":"x"}}"#,
        r#"{"title": "changed"}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(stored(&app, "Post", 1).await["title"], "hello");
}

/// Mass assignment on strict models (juggler #1805, LB `strict: true`): a property the model
/// does not declare is refused on create and update, and nothing is written.
async fn strict_models_refuse_unknown_properties(db: Db) {
    let app = db
        .app(vec![json!({"name": "Account", "strict": true,
            "properties": {"name": "string"}})])
        .await;
    let api = RestApi::new(&app);
    let r = rest_support::post(&api, "/api/Accounts", r#"{"name": "a", "isAdmin": true}"#).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = rest_support::post(&api, "/api/Accounts", r#"{"name": "a"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send_as(
        &api,
        "PATCH",
        "/api/Accounts/1",
        None,
        Some(r#"{"isAdmin": true}"#),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = rest_support::get(&api, "/api/Accounts").await;
    assert_eq!(r.text, r#"[{"id":1,"name":"a"}]"#);
}

/// Mass assignment of owner keys (`spec/security.md`): over REST, `userId`, `owner` and the
/// key of a belongsTo to a user model may only be set to the caller's own id or left as
/// stored; nothing is written when a request tries otherwise. `ownerKeyRoles` lets admins
/// assign, `protectOwnerKeys: false` restores LB3's behaviour.
async fn owner_keys_cannot_be_given_away(db: Db) {
    let open_acls = json!([
        {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
        {"principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW"}
    ]);
    let app = db
        .app(vec![
            json!({"name": "Member", "base": "User"}),
            json!({"name": "Entry", "properties": {"text": "string"},
                "ownerKeyRoles": ["admin"],
                "relations": {"member": {"type": "belongsTo", "model": "Member", "foreignKey": "memberId"}},
                "acls": open_acls}),
            json!({"name": "Note", "properties": {"text": "string", "userId": "number"},
                "acls": open_acls}),
            json!({"name": "Guest", "properties": {"text": "string", "owner": "number"}}),
            json!({"name": "Legacy", "properties": {"text": "string"},
                "protectOwnerKeys": false,
                "relations": {"member": {"type": "belongsTo", "model": "Member", "foreignKey": "memberId"}},
                "acls": open_acls}),
        ])
        .await;
    user(&app, "Member", "m1@example.com", "pass-one").await;
    user(&app, "Member", "m2@example.com", "pass-two").await;
    let admin_id = user(&app, "Member", "admin@example.com", "pass-admin").await;
    let o = Options::new();
    let mut role = Record::new();
    role.insert("name", "admin");
    let role = app.model("Role").unwrap().create(role, &o).await.unwrap();
    let mut mapping = Record::new();
    mapping.insert("principalType", "USER");
    mapping.insert("principalId", admin_id.to_json().to_string());
    mapping.insert("roleId", role.get("id").unwrap().clone());
    app.model("RoleMapping")
        .unwrap()
        .create(mapping, &o)
        .await
        .unwrap();
    let mut note = Record::new();
    note.insert("text", "m1's");
    note.insert("userId", Value::Int(1));
    app.model("Note").unwrap().create(note, &o).await.unwrap();

    let api = RestApi::new(&app);
    let t2 = login_to(&api, "Members", "m2@example.com", "pass-two").await;
    let t_admin = login_to(&api, "Members", "admin@example.com", "pass-admin").await;
    let refused = |r: &rest_support::Reply, what: &str| {
        assert_eq!(r.status, 403, "{what}: {}", r.text);
        assert_eq!(
            r.json()["error"]["code"],
            "OWNER_KEY_NOT_SETTABLE",
            "{what}: {}",
            r.text
        );
    };

    // Create: another user's id is refused, one's own id, null and no key are not.
    let post =
        |uri: &'static str, body: &'static str| send_as(&api, "POST", uri, Some(&t2), Some(body));
    refused(
        &post("/api/Entries", r#"{"text": "forged", "memberId": 1}"#).await,
        "create",
    );
    refused(
        &post("/api/Entries", r#"[{"memberId": 2}, {"memberId": "1"}]"#).await,
        "batch create",
    );
    assert_eq!(stored_count(&app, "Entry").await, 0);
    for body in [
        r#"{"text": "a", "memberId": 2}"#,
        r#"{"text": "b", "memberId": null}"#,
        r#"{"text": "c"}"#,
    ] {
        let r = post("/api/Entries", body).await;
        assert_eq!(r.status, 200, "{body}: {}", r.text);
    }
    assert_eq!(stored_count(&app, "Entry").await, 3);

    // Updates: handing one's own record to another user is refused; re-sending the stored
    // owner is not.
    for (method, uri, body) in [
        ("PATCH", "/api/Entries/1", r#"{"memberId": 1}"#),
        ("PUT", "/api/Entries/1", r#"{"text": "a", "memberId": 1}"#),
        (
            "POST",
            "/api/Entries/1/replace",
            r#"{"text": "a", "memberId": 1}"#,
        ),
        ("PATCH", "/api/Entries", r#"{"id": 1, "memberId": 1}"#),
        ("PUT", "/api/Entries", r#"{"id": 1, "memberId": 1}"#),
        (
            "POST",
            "/api/Entries/update?where={\"id\":1}",
            r#"{"memberId": 1}"#,
        ),
        (
            "POST",
            "/api/Entries/upsertWithWhere?where={\"id\":1}",
            r#"{"memberId": 1}"#,
        ),
    ] {
        let r = send_as(&api, method, uri, Some(&t2), Some(body)).await;
        refused(&r, &format!("{method} {uri}"));
    }
    assert_eq!(stored(&app, "Entry", 1).await["memberId"], json!(2));
    let r = send_as(
        &api,
        "PUT",
        "/api/Entries/1",
        Some(&t2),
        Some(r#"{"text": "a2", "memberId": 2}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The legacy `userId` key: m2 may edit m1's note (the ACL lets any user) but not make it
    // theirs, which would give them the owner's rights on it.
    let r = send_as(
        &api,
        "PATCH",
        "/api/Notes/1",
        Some(&t2),
        Some(r#"{"userId": 2}"#),
    )
    .await;
    refused(&r, "claim a note");
    let r = send_as(
        &api,
        "PATCH",
        "/api/Notes/1",
        Some(&t2),
        Some(r#"{"userId": 1, "text": "edited"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let n = stored(&app, "Note", 1).await;
    assert_eq!(
        (n["userId"].clone(), n["text"].clone()),
        (json!(1), json!("edited"))
    );
    // Upserts of a new id are creates, of a stored one updates.
    let r = send_as(
        &api,
        "PUT",
        "/api/Notes",
        Some(&t2),
        Some(r#"{"text": "new", "userId": 2}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send_as(
        &api,
        "PATCH",
        "/api/Notes",
        Some(&t2),
        Some(r#"{"id": 1, "userId": 2}"#),
    )
    .await;
    refused(&r, "claim by upsert");
    // Bulk writes never set owner keys, not even to the caller's id.
    let r = send_as(
        &api,
        "POST",
        "/api/Notes/update",
        Some(&t2),
        Some(r#"{"userId": 2}"#),
    )
    .await;
    refused(&r, "claim by updateAll");
    assert_eq!(stored(&app, "Note", 1).await["userId"], json!(1));

    // Anonymous callers own nothing: `owner` cannot be set at all without a token.
    let r = send_as(
        &api,
        "POST",
        "/api/Guests",
        None,
        Some(r#"{"text": "hi", "owner": 1}"#),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = send_as(&api, "POST", "/api/Guests", None, Some(r#"{"text": "hi"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored_count(&app, "Guest").await, 1);

    // A member of an `ownerKeyRoles` role may assign records to anyone.
    let r = send_as(
        &api,
        "POST",
        "/api/Entries",
        Some(&t_admin),
        Some(r#"{"text": "for m1", "memberId": 1}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["memberId"], 1, "{}", r.text);

    // `protectOwnerKeys: false`: LB3's behaviour.
    let r = send_as(
        &api,
        "POST",
        "/api/Legacies",
        Some(&t2),
        Some(r#"{"text": "x", "memberId": 1}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Unbounded reads and writes (`spec/security.md`, deep or huge filters, `limit`, `inq`,
/// batch size): an explicit `limit`, an `inq`/`nin` list and a batch create each have a cap
/// (the app's `QueryLimits`), answered with a 400 or 413 naming it; nothing is created by a
/// refused batch. The defaults allow 10,000 rows and values and 1,000 objects per create.
async fn limits_cap_limit_lists_and_batches(db: Db) {
    use loopback::filter::QueryLimits;
    let app = app(&db).await;
    let api = RestApi::new(&app);
    let code = |r: &rest_support::Reply| r.json()["error"]["code"].clone();
    // Defaults.
    let r = rest_support::get(&api, "/api/Posts?filter[limit]=10001").await;
    assert_eq!(
        (r.status.as_u16(), code(&r)),
        (400, json!("LIMIT_TOO_LARGE")),
        "{}",
        r.text
    );
    let r = rest_support::get(&api, "/api/Posts?filter[limit]=10000").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let batch = |n: usize| Json::Array(vec![json!({"title": "b"}); n]).to_string();
    let r = rest_support::post(&api, "/api/Posts", &batch(1001)).await;
    assert_eq!(
        (r.status.as_u16(), code(&r)),
        (413, json!("BATCH_TOO_LARGE")),
        "{}",
        &r.text[..r.text.len().min(300)]
    );
    assert_eq!(stored_count(&app, "Post").await, 1);

    // Application caps.
    app.set_query_limits(QueryLimits {
        max_limit: Some(10),
        max_in_list: Some(3),
        max_batch: Some(2),
    });
    let r = rest_support::get(&api, "/api/Posts?filter={\"limit\":11}").await;
    assert_eq!(
        (r.status.as_u16(), code(&r)),
        (400, json!("LIMIT_TOO_LARGE")),
        "{}",
        r.text
    );
    let r = rest_support::get(&api, "/api/Posts?filter={\"limit\":10}").await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Include scopes and relation routes are capped too.
    let r = rest_support::get(
        &api,
        "/api/Posts?filter={\"include\":{\"relation\":\"comments\",\"scope\":{\"limit\":11}}}",
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), code(&r)),
        (400, json!("LIMIT_TOO_LARGE")),
        "{}",
        r.text
    );
    let r = rest_support::get(&api, "/api/Posts/1/comments?filter={\"limit\":11}").await;
    assert_eq!(
        (r.status.as_u16(), code(&r)),
        (400, json!("LIMIT_TOO_LARGE")),
        "{}",
        r.text
    );
    for (op, list) in [("inq", "[1,2,3,4]"), ("nin", "[1,2,3,4]")] {
        let uri = format!("/api/Posts?filter={{\"where\":{{\"id\":{{\"{op}\":{list}}}}}}}");
        let r = rest_support::get(&api, &uri).await;
        assert_eq!(
            (r.status.as_u16(), code(&r)),
            (400, json!("LIST_TOO_LONG")),
            "{op}: {}",
            r.text
        );
        let r = rest_support::get(
            &api,
            &format!("/api/Posts/count?where={{\"id\":{{\"{op}\":{list}}}}}"),
        )
        .await;
        assert_eq!(
            (r.status.as_u16(), code(&r)),
            (400, json!("LIST_TOO_LONG")),
            "count {op}: {}",
            r.text
        );
    }
    let r = rest_support::get(
        &api,
        "/api/Posts?filter={\"where\":{\"id\":{\"inq\":[1,2,3]}}}",
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()[0]["id"].clone()),
        (200, json!(1)),
        "{}",
        r.text
    );
    let r = rest_support::post(&api, "/api/Posts", &batch(3)).await;
    assert_eq!(
        (r.status.as_u16(), code(&r)),
        (413, json!("BATCH_TOO_LARGE")),
        "{}",
        r.text
    );
    assert_eq!(stored_count(&app, "Post").await, 1);
    let r = rest_support::post(&api, "/api/Posts", &batch(2)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored_count(&app, "Post").await, 3);
    // The Rust API reads callers' filters under the same caps.
    let posts = app.model("Post").unwrap();
    assert!(posts.parse_filter(&json!({"limit": 11})).is_err());
    assert!(posts.parse_filter(&json!({"limit": 10})).is_ok());
    // No caps: LB3's behaviour.
    app.set_query_limits(QueryLimits::unlimited());
    let r = rest_support::get(&api, "/api/Posts?filter={\"limit\":1000000}").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = rest_support::post(&api, "/api/Posts", &batch(5)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}
