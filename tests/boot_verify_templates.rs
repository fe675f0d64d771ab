//! EJS templates of verification emails (LB3's `verifyOptions.template`, rendered by EJS 2
//! through `loopback.template`), and Rust template functions (`verifyOptions.templateFn`).
//! The expected outputs were recorded from LoopBack 3.28 and its EJS 2.7.4 on Node 20.

#![cfg(all(feature = "rest", feature = "memory"))]

mod app_folder;
mod boot_support;
mod rest_support;

use std::path::Path;

use app_folder::{copy_app, edit_json, write};
use boot_support::{assert_problem, opts, problems, EXAMPLE};
use loopback::boot;
use loopback::mail::{EjsTemplate, MemoryTransport, TemplateErrorKind};
use loopback::rest::RestApi;
use loopback::{Options, Value};
use serde_json::json;

/// Every construct of EJS that needs no JavaScript: a comment with `-%>`, escaped and raw
/// output, dotted paths, `<%_ _%>`, the literal delimiters, `_%>`, a trailing `;`, and the
/// way JavaScript prints numbers, booleans, null, arrays, objects and missing properties.
const CONSTRUCTS: &str = "<%# A comment, not rendered -%>
<h1>Welcome to <%= appName %></h1>
<p>Hello <%= user.email %>, <%- user.name %>!</p>
    <%_ _%>   
<p>Raw: <%- rawHtml %> / escaped: <%= rawHtml %> / quotes: <%= quote %></p>
<p>Literal tag: <%% not a tag %> and %%> too; </p>
<p>Port <%= port %>, ratio <%= ratio -%>
, flag <%= flag %>, nothing \"<%= nothing %><%- nothing %>\", list <%= list %>, obj <%= obj %>, undef \"<%= user.nope %>\", len <%= user.email.length %></p>
<p><%= user.name _%>   
</p>
<a href=\"<%= verifyHref %>\"><%= verifyHref; %></a>
";

#[test]
fn ejs_constructs_render_as_ejs_renders_them() {
    let locals = json!({
        "appName": "Shop & Co",
        "user": {"email": "a<b>@x.com", "name": "<b>Ann</b>"},
        "rawHtml": "<i>x</i>",
        "quote": "\"it's\"",
        "verifyHref": "http://h/?a=1&b=2",
        "port": 3000, "ratio": 0.5, "flag": true, "nothing": null,
        "list": [1, "a", null, [2, 3], {"k": 1}],
        "obj": {"a": 1}
    });
    let out = EjsTemplate::parse(CONSTRUCTS, "verify.ejs")
        .unwrap()
        .render(&locals)
        .unwrap();
    // EJS 2.7.4's output for the same template and locals.
    let ejs = "<h1>Welcome to Shop &amp; Co</h1>\n<p>Hello a&lt;b&gt;@x.com, <b>Ann</b>!</p>\n<p>Raw: <i>x</i> / escaped: &lt;i&gt;x&lt;/i&gt; / quotes: &#34;it&#39;s&#34;</p>\n<p>Literal tag: <% not a tag %> and %> too; </p>\n<p>Port 3000, ratio 0.5, flag true, nothing \"\", list 1,a,,2,3,[object Object], obj [object Object], undef \"\", len 10</p>\n<p>&lt;b&gt;Ann&lt;/b&gt;</p>\n<a href=\"http://h/?a=1&amp;b=2\">http://h/?a=1&amp;b=2</a>\n";
    assert_eq!(out, ejs);
    // CRLF line ends: `-%>` drops the whole line break, as EJS does.
    let crlf = EjsTemplate::parse("<%# c -%>\r\nA<%= x -%>\r\nB", "crlf.ejs")
        .unwrap()
        .render(&json!({"x": 1}))
        .unwrap();
    assert_eq!(crlf, "A1B");
}

#[test]
fn javascript_and_missing_locals_are_errors_naming_file_and_line() {
    // A scriptlet is JavaScript: refused when parsed, with its line.
    let e =
        EjsTemplate::parse("<p>\n<% if (user.admin) { %>\nhi\n<% } %>", "views/v.ejs").unwrap_err();
    assert_eq!((e.file.as_path(), e.line), (Path::new("views/v.ejs"), 2));
    assert!(matches!(&e.kind, TemplateErrorKind::Script { code } if code == "if (user.admin) {"));
    let text = e.to_string();
    assert!(text.starts_with("views/v.ejs:2: "), "{text}");
    assert!(text.contains("template function"), "{text}");
    // So is an expression that is not a path, and an include.
    for (source, code) in [
        (
            "a <%= user.name.toUpperCase() %>",
            "user.name.toUpperCase()",
        ),
        ("a <%- include('header') %>", "include('header')"),
        ("a <%= x ? 1 : 2 %>", "x ? 1 : 2"),
    ] {
        let e = EjsTemplate::parse(source, "v.ejs").unwrap_err();
        assert_eq!(
            e.kind,
            TemplateErrorKind::Expression { code: code.into() },
            "{source}"
        );
    }
    // A tag left open (EJS: `Could not find matching close tag for "<%=".`).
    let e = EjsTemplate::parse("a\n\nb <%= name", "v.ejs").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e
        .to_string()
        .contains("Could not find matching close tag for \"<%=\""));
    // A local that is not there is EJS's `ReferenceError: missing is not defined`, at the
    // line of its tag; a property of a missing value is its `TypeError`.
    let t = EjsTemplate::parse("a\n<%= b %>\n<%= missing %>", "e1.ejs").unwrap();
    let e = t.render(&json!({"b": 1})).unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(
        e.kind,
        TemplateErrorKind::MissingLocal {
            name: "missing".into()
        }
    );
    assert!(e
        .to_string()
        .starts_with("e1.ejs:3: missing is not defined"));
    let t = EjsTemplate::parse("a\n<%= b.c.d %>", "e2.ejs").unwrap();
    let e = t.render(&json!({"b": {}})).unwrap_err();
    assert!(
        e.to_string()
            .contains("e2.ejs:2: Cannot read properties of undefined (reading 'd')"),
        "{e}"
    );
    // A file that is not there names the file.
    let e = EjsTemplate::from_file("no/such/template.ejs").unwrap_err();
    assert!(matches!(e.kind, TemplateErrorKind::Read { .. }));
    assert!(e.to_string().starts_with("no/such/template.ejs: "));
}

/// The template the bookstore's readers are sent, in `server/views/verify.ejs`.
const READER_TEMPLATE: &str = "<%# The verification email of the bookstore -%>
<h1><%= appName %></h1>
<p>Hello <%= user.displayName %> (<%= user.email %>), from <%= from %>: <%= subject %></p>
  <%_ _%>
<p><%= protocol %>://<%= host %>:<%= port %><%= restApiRoot %> <%= redirect %> <%= type %> <%= headers %> <%= to %></p>
<a href=\"<%= verifyHref %>\">Confirm</a>
<%- text %> (<%= verificationToken.length %>)
";

/// The example folder with a stub `email` data source, and `Reader`'s `verifyOptions`
/// naming `template` (relative to the folder) and a local of the app's own (`appName`).
fn folder(template: &str) -> tempfile::TempDir {
    let dir = copy_app(EXAMPLE);
    write(dir.path(), "server/views/verify.ejs", template);
    edit_json(dir.path(), "server/datasources.json", |d| {
        d["email"] =
            json!({"name": "email", "connector": "mail", "transports": [{"type": "stub"}]});
    });
    edit_json(dir.path(), "common/models/reader.json", |m| {
        m["verifyOptions"] = json!({
            "type": "email", "from": "Bookstore <noreply@example.com>",
            "template": "server/views/verify.ejs", "appName": "Books & Co", "redirect": "/welcome",
            "cc": "audit@example.com", "replyTo": "Help <help@example.com>"
        });
    });
    dir
}

/// Signs up ann@example.com and asks for her verification email: the outbox.
async fn verify_ann(booted: &boot::Booted) -> MemoryTransport {
    let api = booted.rest_api();
    let body =
        json!({"email": "ann@example.com", "password": "ann-pass", "displayName": "Ann <O'Hara>"});
    let r = rest_support::post(&api, "/api/readers", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = rest_support::post(&api, "/api/readers/1/verify", "").await;
    assert_eq!(r.status, 204, "{}", r.text);
    booted.mailer("email").unwrap().memory().unwrap()
}

async fn stored_token(booted: &boot::Booted) -> String {
    let reader = booted
        .app()
        .model("Reader")
        .unwrap()
        .find_by_id(Value::Int(1), None, &Options::new())
        .await
        .unwrap()
        .unwrap();
    match reader.get("verificationToken") {
        Some(Value::String(t)) => t.clone(),
        other => panic!("no verification token: {other:?}"),
    }
}

#[tokio::test]
async fn the_apps_template_renders_the_verification_email() {
    let dir = folder(READER_TEMPLATE);
    let booted = boot::boot(dir.path(), &opts()).await.expect("boots");
    // The relative path is the folder's, whatever the current directory.
    let settings = booted.app().model("Reader").unwrap().verify_options();
    assert_eq!(
        Path::new(settings["template"].as_str().unwrap()),
        std::path::absolute(dir.path().join("server/views/verify.ejs")).unwrap()
    );
    let outbox = verify_ann(&booted).await;
    let sent = outbox.messages();
    assert_eq!(sent.len(), 1);
    // The options' other message fields reach the mailer, as LB3 hands it the whole object.
    assert_eq!(sent[0].cc, ["audit@example.com"]);
    assert_eq!(sent[0].reply_to.as_deref(), Some("Help <help@example.com>"));
    let token = stored_token(&booted).await;
    // LoopBack 3's email for the same folder (its locals: the options, LB3's defaults, the
    // user, the link and the token).
    let lb3 = "<h1>Books &amp; Co</h1>\n<p>Hello Ann &lt;O&#39;Hara&gt; (ann@example.com), from Bookstore &lt;noreply@example.com&gt;: Thanks for Registering</p>\n<p>http://0.0.0.0:3000/api /welcome email [object Object] ann@example.com</p>\n<a href=\"http://0.0.0.0:3000/api/readers/confirm?uid=1&amp;redirect=%2Fwelcome&amp;token={token}\">Confirm</a>\nPlease verify your email by opening this link in a web browser:\n\thttp://0.0.0.0:3000/api/readers/confirm?uid=1&redirect=%2Fwelcome&token={token} (128)\n";
    assert_eq!(
        sent[0].html.as_deref(),
        Some(lb3.replace("{token}", &token).as_str())
    );
    assert_eq!(
        sent[0].from.as_deref(),
        Some("Bookstore <noreply@example.com>")
    );

    // Without a template, the HTML is LB3's default `templates/verify.ejs`.
    let dir = folder(READER_TEMPLATE);
    edit_json(dir.path(), "common/models/reader.json", |m| {
        m["verifyOptions"]
            .as_object_mut()
            .unwrap()
            .remove("template");
    });
    let booted = boot::boot(dir.path(), &opts()).await.expect("boots");
    let outbox = verify_ann(&booted).await;
    let token = stored_token(&booted).await;
    let href = format!(
        "http://0.0.0.0:3000/api/readers/confirm?uid=1&amp;redirect=%2Fwelcome&amp;token={token}"
    );
    assert_eq!(
        outbox.messages()[0].html.as_deref(),
        Some(format!("<h1>Thank You</h1>\n\n<p>\n  Thanks for registering. Please follow the link below to complete your registration.\n</p>\n\n<p>\n  <a href=\"{href}\">{href}</a>\n</p>").as_str())
    );
}

#[tokio::test]
async fn templates_that_cannot_render_stop_the_boot() {
    // JavaScript: a boot problem naming the model file, the key and the template's line.
    let dir = folder("<p>\n<% if (user.vip) { %>VIP<% } %>\n");
    let p = problems(dir.path()).await;
    assert_problem(
        &p,
        &[
            "reader.json",
            "verifyOptions.template",
            "verify.ejs:2:",
            "JavaScript",
        ],
    );
    // A template file that is not there.
    let dir = folder(READER_TEMPLATE);
    edit_json(dir.path(), "common/models/reader.json", |m| {
        m["verifyOptions"]["template"] = json!("server/views/missing.ejs");
    });
    let p = problems(dir.path()).await;
    assert_problem(
        &p,
        &["reader.json", "verifyOptions.template", "missing.ejs"],
    );
    // Set from model-config.json's `options`: the problem is there.
    let dir = folder(READER_TEMPLATE);
    edit_json(dir.path(), "server/model-config.json", |c| {
        c["Reader"]["options"] =
            json!({"verifyOptions": {"type": "email", "from": "a@example.com", "template": 7}});
    });
    let p = problems(dir.path()).await;
    assert_problem(
        &p,
        &["model-config.json", "Reader.options.verifyOptions.template"],
    );

    // A local the options do not give fails the call, naming the template, line and name,
    // and no email is sent.
    let dir = folder("<p>\n<%= user.email %> <%= siteName %></p>");
    let booted = boot::boot(dir.path(), &opts()).await.expect("boots");
    let api = booted.rest_api();
    let body = json!({"email": "ann@example.com", "password": "ann-pass"});
    let r = rest_support::post(&api, "/api/readers", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reader = booted.app().model("Reader").unwrap();
    let ann = reader
        .find_by_id(Value::Int(1), None, &Options::new())
        .await
        .unwrap()
        .unwrap();
    let e = reader
        .verify(&ann, &reader.verify_options(), &Options::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("verify.ejs:2: siteName is not defined"), "{e}");
    let r = rest_support::post(&api, "/api/readers/1/verify", "").await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(booted
        .mailer("email")
        .unwrap()
        .memory()
        .unwrap()
        .messages()
        .is_empty());
}

#[tokio::test]
async fn a_rust_template_function_renders_instead() {
    let dir = folder(READER_TEMPLATE);
    let booted = boot::boot(
        dir.path(),
        &opts().model("Reader", |readers| {
            readers.set_verify_template_fn(|locals| {
                Ok(format!(
                    "<p>{} for {} ({})</p>",
                    locals["appName"].as_str().unwrap_or_default(),
                    locals["user"]["displayName"].as_str().unwrap_or_default(),
                    locals["verifyHref"].as_str().unwrap_or_default(),
                ))
            });
            Ok(())
        }),
    )
    .await
    .expect("boots");
    let outbox = verify_ann(&booted).await;
    let token = stored_token(&booted).await;
    assert_eq!(
        outbox.messages()[0].html.as_deref(),
        Some(format!("<p>Books & Co for Ann <O'Hara> (http://0.0.0.0:3000/api/readers/confirm?uid=1&redirect=%2Fwelcome&token={token})</p>").as_str())
    );

    // From Rust, a `template` path in the options (relative to the current directory, as
    // LB3's `path.resolve`), with locals of the caller's own.
    let dir = folder(READER_TEMPLATE);
    let booted = boot::boot(dir.path(), &opts()).await.expect("boots");
    let api: RestApi = booted.rest_api();
    let body = json!({"email": "bo@example.com", "password": "bo-pass"});
    let r = rest_support::post(&api, "/api/readers", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let file = write(dir.path(), "mine.ejs", "<b><%= greeting %>, <%= to %></b>");
    let reader = booted.app().model("Reader").unwrap();
    let bo = reader
        .find_by_id(Value::Int(1), None, &Options::new())
        .await
        .unwrap()
        .unwrap();
    reader
        .verify(
            &bo,
            &json!({"type": "email", "from": "a@example.com",
                "template": file.to_str().unwrap(), "greeting": "Hi & welcome"}),
            &Options::new(),
        )
        .await
        .unwrap();
    let sent = booted.mailer("email").unwrap().memory().unwrap().messages();
    assert_eq!(
        sent[0].html.as_deref(),
        Some("<b>Hi &amp; welcome, bo@example.com</b>")
    );
}
