//! The `ssl` and `sslmode` data source settings of the server connectors: LoopBack 3's forms
//! are read (and checked, naming the key at fault) when the connector is created; a mode that
//! needs TLS fails to connect to a server without it, and a mode that verifies certificates
//! fails on one no public authority signed, with an error that says SSL. The tests that
//! connect use `LOOPBACK_TEST_POSTGRES_URL` / `LOOPBACK_TEST_MYSQL_URL`, and are skipped when
//! their variable is unset.
#![cfg(any(feature = "postgres", feature = "mysql"))]

use loopback::{Connector, Error, Options, Value};
use serde_json::{json, Value as Json};

/// A PEM block that is never parsed before connecting.
const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/// libpq's `sslmode` names, which both connectors take.
const LIBPQ_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// The settings errors both connectors share: `(settings, key named)`.
fn shared_errors() -> Vec<(Json, &'static str)> {
    vec![
        (json!({"ssl": "yes"}), "ssl"),
        (json!({"ssl": 1}), "ssl"),
        (json!({"ssl": {"ca": "/nonexistent/ca.pem"}}), "ssl.ca"),
        (json!({"ssl": {"ca": ["/nonexistent/ca.pem"]}}), "ssl.ca"),
        (json!({"ssl": {"ca": 5}}), "ssl.ca"),
        (
            json!({"ssl": {"cert": "/nonexistent/cert.pem", "key": PEM}}),
            "ssl.cert",
        ),
        (json!({"ssl": {"cert": PEM}}), "ssl.key"),
        (json!({"ssl": {"key": PEM}}), "ssl.cert"),
        (
            json!({"ssl": {"rejectUnauthorized": "no"}}),
            "ssl.rejectUnauthorized",
        ),
        (json!({"ssl": {"servername": "x"}}), "ssl.servername"),
    ]
}

/// The settings both connectors accept.
fn shared_ok() -> Vec<Json> {
    vec![
        json!({"ssl": true}),
        json!({"ssl": false}),
        json!({"ssl": null}),
        json!({"ssl": {}}),
        json!({"ssl": {"rejectUnauthorized": false}}),
        json!({"ssl": {"ca": PEM, "cert": PEM, "key": PEM, "rejectUnauthorized": true}}),
        json!({"ssl": {"ca": [PEM, PEM]}}),
    ]
}

#[track_caller]
fn assert_names(result: loopback::Result<impl Sized>, settings: &Json, key: &str) {
    let Err(e) = result else {
        panic!("{settings}: accepted");
    };
    assert!(matches!(e, Error::Connector(_)), "{settings}: {e:?}");
    assert!(
        e.to_string().contains(&format!("`{key}`")),
        "{settings}: {e}"
    );
}

/// Runs `SELECT 1` on a connector to the test server with `settings` added.
async fn select_one(connector: impl Connector) -> loopback::Result<()> {
    let rows = connector
        .execute("SELECT 1 AS one", &[], &Options::new())
        .await?;
    assert_eq!(rows[0].get("one"), Some(&Value::Int(1)));
    Ok(())
}

/// The server URL in `var`, if set.
fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => None,
    }
}

/// `settings` on the server at `url` (unless they name a URL of their own), with a short
/// connect timeout.
fn on_server(url: &str, mut settings: Json) -> Json {
    let map = settings.as_object_mut().expect("settings are an object");
    map.entry("url").or_insert_with(|| url.into());
    map.insert("connectTimeout".into(), 5000.into());
    settings
}

#[track_caller]
fn assert_ssl_refused(result: loopback::Result<()>, settings: &Json) {
    let e = result.expect_err("a server without TLS cannot be reached with SSL");
    assert_eq!(e.status(), 503, "{settings}: {e:?}");
    assert!(e.to_string().contains("SSL"), "{settings}: {e}");
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use loopback::connectors::PostgresConnector;

    fn server() -> Option<String> {
        server_url("LOOPBACK_TEST_POSTGRES_URL")
    }

    fn with(url: &str, settings: Json) -> PostgresConnector {
        let settings = on_server(url, settings);
        PostgresConnector::from_settings(&settings).unwrap_or_else(|e| panic!("{settings}: {e}"))
    }

    #[test]
    fn settings_are_checked() {
        let mut errors = shared_errors();
        errors.extend([
            (json!({"sslmode": "sometimes"}), "sslmode"),
            (json!({"sslmode": true}), "sslmode"),
            (json!({"ssl": true, "sslmode": "verify"}), "sslmode"),
            (json!({"url": "postgres://localhost/db?ssl=maybe"}), "url"),
            (
                json!({"url": "postgres://localhost/db?sslmode=sometimes"}),
                "url",
            ),
        ]);
        for (settings, key) in errors {
            assert_names(PostgresConnector::from_settings(&settings), &settings, key);
        }
        let mut ok = shared_ok();
        ok.extend([
            json!({"sslmode": "verify-full", "ssl": {"ca": PEM}}),
            json!({"sslmode": "DISABLE"}),
            json!({"url": "postgres://localhost/db?ssl=true&application_name=x"}),
            json!({"url": "postgres://localhost/db?sslmode=verify-ca"}),
        ]);
        for mode in LIBPQ_MODES {
            ok.push(json!({ "sslmode": mode }));
        }
        for settings in ok {
            PostgresConnector::from_settings(&settings)
                .unwrap_or_else(|e| panic!("{settings}: {e}"));
        }
    }

    /// Whether the connection of `connector` uses TLS, or its error.
    async fn encrypted(connector: PostgresConnector) -> loopback::Result<bool> {
        let rows = connector
            .execute(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
                &Options::new(),
            )
            .await?;
        Ok(rows[0].get("ssl") == Some(&Value::Bool(true)))
    }

    /// `disable` and `ssl: false` connect in clear text; `prefer` / `allow` connect either way.
    /// The test server may speak TLS (Debian's PostgreSQL does, with a self-signed
    /// certificate) or not: modes that only encrypt (`require`, `rejectUnauthorized: false`)
    /// then connect over TLS, else they fail naming SSL; modes that verify the certificate
    /// (`verify-full`, `ssl: true`) fail naming SSL either way, as no public authority signed
    /// it.
    #[tokio::test]
    async fn ssl_modes_connect_or_fail_naming_ssl() {
        let Some(url) = server() else {
            eprintln!("skipping: LOOPBACK_TEST_POSTGRES_URL is not set");
            return;
        };
        let plain = format!("{url}{}", if url.contains('?') { "&" } else { "?" });
        // Without SSL settings connections are plain, as with LB3's `pg`, whether or not
        // the server offers TLS.
        for settings in [
            json!({}),
            json!({"sslmode": "disable"}),
            json!({"ssl": false}),
            json!({"url": format!("{plain}ssl=false")}),
            json!({"url": format!("{plain}sslmode=disable")}),
            json!({"ssl": true, "sslmode": "disable"}),
        ] {
            let tls = encrypted(with(&url, settings.clone()))
                .await
                .unwrap_or_else(|e| panic!("{settings}: {e}"));
            assert!(!tls, "{settings}");
        }
        let mut server_tls = false;
        for settings in [json!({"sslmode": "prefer"}), json!({"sslmode": "allow"})] {
            let tls = encrypted(with(&url, settings.clone()))
                .await
                .unwrap_or_else(|e| panic!("{settings}: {e}"));
            server_tls |= tls;
        }
        for settings in [
            json!({"sslmode": "require"}),
            json!({"ssl": {"rejectUnauthorized": false}}),
            json!({"url": format!("{plain}sslmode=require")}),
        ] {
            let got = encrypted(with(&url, settings.clone())).await;
            if server_tls {
                assert!(
                    got.unwrap_or_else(|e| panic!("{settings}: {e}")),
                    "{settings}"
                );
            } else {
                assert_ssl_refused(got.map(drop), &settings);
            }
        }
        for settings in [
            json!({"sslmode": "verify-full"}),
            json!({"ssl": true}),
            json!({"ssl": {}}),
            json!({"url": format!("{plain}ssl=true")}),
        ] {
            assert_ssl_refused(select_one(with(&url, settings.clone())).await, &settings);
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use loopback::connectors::MySqlConnector;

    fn server() -> Option<String> {
        server_url("LOOPBACK_TEST_MYSQL_URL")
    }

    fn with(url: &str, settings: Json) -> MySqlConnector {
        let settings = on_server(url, settings);
        MySqlConnector::from_settings(&settings).unwrap_or_else(|e| panic!("{settings}: {e}"))
    }

    #[test]
    fn settings_are_checked() {
        let mut errors = shared_errors();
        errors.extend([
            (json!({"sslmode": "sometimes"}), "sslmode"),
            (json!({"sslmode": true}), "sslmode"),
            (json!({"sslmode": "verify-identity"}), "sslmode"),
            (json!({"ssl": true, "sslmode": "REQUIRE_D"}), "sslmode"),
            (json!({"url": "mysql://localhost/db?ssl=maybe"}), "url"),
            (
                json!({"url": "mysql://localhost/db?ssl-mode=sometimes"}),
                "url",
            ),
            (json!({"url": "mysql://localhost/db?sslmode=verify"}), "url"),
        ]);
        for (settings, key) in errors {
            assert_names(MySqlConnector::from_settings(&settings), &settings, key);
        }
        // The error lists both spellings.
        let e = MySqlConnector::from_settings(&json!({"sslmode": "x"})).unwrap_err();
        for name in ["verify-full", "VERIFY_IDENTITY"] {
            assert!(e.to_string().contains(name), "{e}");
        }
        let mut ok = shared_ok();
        ok.extend([
            json!({"url": "mysql://localhost/db?ssl=true"}),
            json!({"sslmode": "verify-full", "ssl": {"ca": PEM}}),
            json!({"url": "mysql://localhost/db?ssl-mode=require&charset=utf8mb4"}),
            json!({"url": "mysql://localhost/db?sslmode=VERIFY_IDENTITY"}),
            json!({"url": "mysql://localhost/db?ssl-mode=Preferred", "sslmode": "disable"}),
        ]);
        for mode in LIBPQ_MODES.into_iter().chain([
            "DISABLED",
            "PREFERRED",
            "REQUIRED",
            "VERIFY_CA",
            "VERIFY_IDENTITY",
            "Required",
            "verify_identity",
            "DISABLE",
        ]) {
            ok.push(json!({ "sslmode": mode }));
        }
        for settings in ok {
            MySqlConnector::from_settings(&settings).unwrap_or_else(|e| panic!("{settings}: {e}"));
        }
    }

    /// The test server does not speak TLS (MariaDB without certificates): the default,
    /// `ssl: false` and the modes that do not insist on TLS (`sslmode`, or the URL's
    /// `ssl-mode` / `sslmode`, in either spelling) connect; `ssl: true`,
    /// `rejectUnauthorized: false` and the modes that need TLS fail naming SSL.
    #[tokio::test]
    async fn modes_that_need_tls_fail_against_a_server_without_it() {
        let Some(url) = server() else {
            eprintln!("skipping: LOOPBACK_TEST_MYSQL_URL is not set");
            return;
        };
        let plain = format!("{url}{}", if url.contains('?') { "&" } else { "?" });
        for settings in [
            json!({}),
            json!({"ssl": false}),
            json!({"url": format!("{plain}ssl=false")}),
            json!({"sslmode": "disable"}),
            json!({"sslmode": "DISABLED"}),
            json!({"sslmode": "prefer"}),
            json!({"sslmode": "allow"}),
            json!({"sslmode": "Preferred"}),
            json!({"ssl": true, "sslmode": "disable"}),
            json!({"url": format!("{plain}ssl-mode=disabled")}),
            json!({"url": format!("{plain}sslmode=disable")}),
            json!({"url": format!("{plain}sslmode=require"), "sslmode": "disable"}),
        ] {
            select_one(with(&url, settings.clone()))
                .await
                .unwrap_or_else(|e| panic!("{settings}: {e}"));
        }
        for settings in [
            json!({"ssl": true}),
            json!({"ssl": {"rejectUnauthorized": false}}),
            json!({"url": format!("{plain}ssl=true")}),
            json!({"sslmode": "require"}),
            json!({"sslmode": "REQUIRED"}),
            json!({"sslmode": "verify-ca"}),
            json!({"sslmode": "VERIFY_IDENTITY"}),
            json!({"ssl": false, "sslmode": "require"}),
            json!({"url": format!("{plain}ssl-mode=REQUIRED")}),
            json!({"url": format!("{plain}sslmode=require")}),
            json!({"url": format!("{plain}sslmode=verify-full")}),
        ] {
            assert_ssl_refused(select_one(with(&url, settings.clone())).await, &settings);
        }
    }
}
