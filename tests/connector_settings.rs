//! `loopback::connectors::from_settings`: datasources.json entries to connectors.

use loopback::connectors::from_settings;
use loopback::{Error, ModelDefinition, Options};
use serde_json::json;

fn definition_error(settings: serde_json::Value) -> (String, String) {
    match from_settings(&settings) {
        Err(Error::InvalidDefinition { path, message }) => (path, message),
        Err(other) => panic!("expected a definition error, got {other:?}"),
        Ok(c) => panic!("expected an error, got a {} connector", c.name()),
    }
}

#[test]
fn names_map_to_connectors() {
    let memory = from_settings(&json!({"name": "db", "connector": "memory"})).unwrap();
    assert_eq!(memory.name(), "memory");
    #[cfg(feature = "sqlite")]
    {
        let c = from_settings(&json!({"name": "db", "connector": "loopback-connector-sqlite3"}))
            .unwrap();
        assert_eq!(c.name(), "sqlite3");
    }
    #[cfg(feature = "postgres")]
    {
        let c = from_settings(
            &json!({"connector": "postgresql", "host": "127.0.0.1", "database": "test"}),
        )
        .unwrap();
        assert_eq!(c.name(), "postgresql");
    }
    #[cfg(feature = "mysql")]
    {
        let c =
            from_settings(&json!({"connector": "mysql", "host": "127.0.0.1", "database": "test"}))
                .unwrap();
        assert_eq!(c.name(), "mysql");
    }
}

#[test]
fn bad_entries_name_the_problem() {
    let (path, msg) = definition_error(json!({"connector": "mongodb"}));
    assert_eq!(path, "datasource.connector");
    assert!(msg.contains("unknown connector `mongodb`"), "{msg}");
    let (path, _) = definition_error(json!({"name": "db"}));
    assert_eq!(path, "datasource.connector");
    let (path, msg) = definition_error(json!({"connector": "memory", "fiel": "db.json"}));
    assert_eq!(path, "datasource.fiel");
    assert!(msg.contains("unknown setting `fiel`"), "{msg}");
    let (path, _) = definition_error(json!(["memory"]));
    assert_eq!(path, "datasource");
}

#[tokio::test]
async fn memory_file_setting_persists() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("db.json");
    let settings = json!({"name": "db", "connector": "memory", "file": file.to_str().unwrap()});
    let def =
        ModelDefinition::from_lb3_json(&json!({"name": "Note", "properties": {"title": "string"}}))
            .unwrap();
    {
        let app = loopback::App::new();
        app.data_source("db", from_settings(&settings).unwrap());
        let notes = app.define(def.clone(), "db").await.unwrap();
        notes
            .create(loopback::record! {"title" => "kept"}, &Options::default())
            .await
            .unwrap();
    }
    let app = loopback::App::new();
    app.data_source("db", from_settings(&settings).unwrap());
    let notes = app.define(def, "db").await.unwrap();
    let all = notes
        .find(loopback::Filter::new(), &Options::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].get("title").and_then(|v| v.as_str()), Some("kept"));
}
