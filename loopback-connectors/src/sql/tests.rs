//! Unit tests of the generated SQL: for SQLite, and for a test dialect with PostgreSQL's
//! conventions (`$n` placeholders, lower-cased names, native `ILIKE`, no `RETURNING`) that
//! checks the builders follow what a dialect says.

use loopback_core::filter::{
    Condition, Direction, Filter, Join, Near, Quantifier, RegexpPattern, RelatedWhere, Where,
};
use loopback_core::model::ModelDefinition;
use loopback_core::value::parse_date;
use loopback_core::{record, Error, GeoPoint, Record, Result, Value};
use serde_json::json;

use super::*;

/// PostgreSQL-like conventions, to check that the builders defer to the dialect.
#[derive(Debug)]
struct Dollar;

impl Dialect for Dollar {
    fn name(&self) -> &'static str {
        "postgresql"
    }
    fn syntax(&self) -> Syntax {
        Syntax {
            quote: '"',
            placeholders: Placeholders::Dollar,
        }
    }
    fn supports_returning(&self) -> bool {
        false
    }
    fn default_name(&self, name: &str) -> String {
        name.to_lowercase()
    }
    fn write_like(
        &self,
        w: &mut SqlWriter,
        column: &str,
        pattern: &str,
        case_insensitive: bool,
    ) -> Result<()> {
        w.push(column);
        w.push(if case_insensitive {
            " ILIKE "
        } else {
            " LIKE "
        });
        w.push_param(Value::String(pattern.to_owned()));
        Ok(())
    }
    fn column_type(&self, column: &ColumnMapping) -> String {
        column.declared_type().unwrap_or_else(|| "TEXT".into())
    }
    fn table_exists_query(&self, _: &TableMapping) -> Statement {
        unimplemented!()
    }
    fn table_columns_query(&self, _: &TableMapping) -> Statement {
        unimplemented!()
    }
    fn table_indexes_query(&self, _: &TableMapping) -> Statement {
        unimplemented!()
    }
}

fn def(j: serde_json::Value) -> ModelDefinition {
    let mut d = ModelDefinition::from_lb3_json(&j).unwrap();
    d.inject_id();
    d
}

fn product() -> ModelDefinition {
    def(json!({
        "name": "Product",
        "properties": {
            "name": {"type": "string", "required": true},
            "qty": "number",
            "active": "boolean",
            "born": "date",
            "meta": "object",
            "tags": ["string"],
            "blob": "buffer"
        }
    }))
}

fn lite(d: &ModelDefinition) -> TableMapping {
    TableMapping::new(&SqliteDialect, d).unwrap()
}

fn where_sql(w: Where) -> Statement {
    count(&SqliteDialect, &lite(&product()), Some(&w)).unwrap()
}

/// The `WHERE` part of a count, and its parameters, with SQLite's table qualification of
/// the columns left out (`"Product"."name"` reads `"name"`; `sqlite_qualifies_the_columns_it_reads`
/// checks the qualification itself).
fn cond(w: Where) -> (String, Vec<Value>) {
    let s = where_sql(w);
    let sql = s
        .sql
        .strip_prefix("SELECT COUNT(*) FROM \"Product\" WHERE ")
        .unwrap()
        .replace("\"Product\".", "");
    (sql, s.params)
}

#[test]
fn sqlite_qualifies_the_columns_it_reads() {
    // SQLite takes a double-quoted name that is no column for a string literal; qualified, a
    // missing column is an error instead of a silent comparison with its own name.
    let t = lite(&product());
    let sel = select(
        &SqliteDialect,
        &t,
        &Filter::with_where(Where::eq("name", "a"))
            .fields(["name", "qty"])
            .order_by("qty", Direction::Desc),
    )
    .unwrap();
    assert_eq!(
        sel.statement.sql,
        r#"SELECT "Product"."name", "Product"."qty" FROM "Product" WHERE "Product"."name" = ? ORDER BY "Product"."qty" DESC, "Product"."id" ASC"#
    );
    // Written columns (INSERT, SET) stay bare, as SQLite requires.
    let ins = insert(&SqliteDialect, &t, &record! {"name" => "a"}).unwrap();
    assert!(
        ins.statement.sql.contains(r#"("name") VALUES (?)"#),
        "{}",
        ins.statement.sql
    );
    // Other dialects keep bare names.
    let pg = TableMapping::new(&Dollar, &product()).unwrap();
    assert!(pg.columns.iter().all(|c| c.reference == c.quoted));
}

fn c(p: &str, op: Condition) -> Where {
    Where::cond(p, op)
}

fn err(w: Where) -> Error {
    count(&SqliteDialect, &lite(&product()), Some(&w)).unwrap_err()
}

fn s(v: &str) -> Value {
    Value::from(v)
}

#[test]
fn mapping_follows_names_and_settings() {
    let d = def(json!({
        "name": "Book",
        "sqlite3": {"table": "books", "schema": "main"},
        "properties": {
            "isbn": {"type": "string", "id": true, "sqlite3": {"columnName": "isbn_code", "dataType": "varchar", "dataLength": 20}},
            "title": {"type": "string", "required": true, "index": {"unique": true}},
            "copies": {"type": "number", "sqlite3": {"dataType": "BIGINT"}},
            "price": {"type": "number", "precision": 10, "scale": 2, "sqlite3": {"dataType": "decimal"}},
            "note": {"type": "string", "sqlite3": {"nullable": "N"}},
            "weird\"name": "string"
        },
        "indexes": {"title_copies": {"keys": {"title": 1, "copies": -1}}}
    }));
    let t = lite(&d);
    assert_eq!(t.table, "books");
    assert_eq!(t.qualified, r#""main"."books""#);
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "isbn_code",
            "title",
            "copies",
            "price",
            "note",
            "weird\"name"
        ]
    );
    assert_eq!(t.columns[5].quoted, r#""weird""name""#);
    assert_eq!(t.id_column().unwrap().property, "isbn");
    assert_eq!(t.columns[0].declared_type().as_deref(), Some("VARCHAR(20)"));
    assert_eq!(t.columns[2].kind, ColumnKind::Integer);
    assert_eq!(t.columns[3].kind, ColumnKind::Number);
    assert_eq!(
        t.columns[3].declared_type().as_deref(),
        Some("DECIMAL(10,2)")
    );
    assert!(!t.columns[0].nullable && !t.columns[1].nullable && !t.columns[4].nullable);
    assert!(t.columns[2].nullable);
    assert_eq!(
        t.indexes,
        [
            IndexMapping {
                name: "books_title".into(),
                columns: vec![(1, false)],
                unique: true
            },
            IndexMapping {
                name: "title_copies".into(),
                columns: vec![(1, false), (2, true)],
                unique: false
            },
        ]
    );
    assert!(t.matches(&d));
    assert!(!t.matches(&product()));
    assert_eq!(
        t.column_named("ISBN_CODE").map(|c| c.property.as_str()),
        Some("isbn")
    );

    // PostgreSQL lower-cases default names, never explicit ones.
    let p = TableMapping::new(
        &Dollar,
        &def(json!({"name": "BookShelf", "properties": {"shelfName": "string"}})),
    )
    .unwrap();
    assert_eq!(
        (p.table.as_str(), p.columns[1].name.as_str()),
        ("bookshelf", "shelfname")
    );
}

#[test]
fn mapping_refuses_what_it_cannot_honour() {
    for (j, path) in [
        (
            json!({"name": "A", "properties": {"x": {"type": "string", "sqlite3": {"dataType": "TEXT); DROP TABLE a; --"}}}}),
            "A.properties.x.sqlite3.dataType",
        ),
        (
            json!({"name": "A", "properties": {"x": "string"}, "indexes": {"i": {"keys": {"y": 1}}}}),
            "A.indexes.i",
        ),
        (
            json!({"name": "A", "sqlite3": {"table": "a\u{0}b"}, "properties": {}}),
            "A.sqlite3.table",
        ),
        (
            json!({"name": "A", "properties": {"x": {"type": "string", "sqlite3": {"dataLength": -1, "dataType": "VARCHAR"}}}}),
            "A.properties.x.sqlite3.dataLength",
        ),
    ] {
        match TableMapping::new(&SqliteDialect, &def(j.clone())) {
            Err(Error::InvalidDefinition { path: p, .. }) => assert_eq!(p, path, "{j}"),
            other => panic!("{j}: {other:?}"),
        }
    }
}

#[test]
fn select_everything_in_id_order() {
    let t = lite(&product());
    let sel = select(&SqliteDialect, &t, &Filter::new()).unwrap();
    assert_eq!(
        sel.statement.sql,
        r#"SELECT "Product"."id", "Product"."name", "Product"."qty", "Product"."active", "Product"."born", "Product"."meta", "Product"."tags", "Product"."blob" FROM "Product" ORDER BY "Product"."id" ASC"#
    );
    assert!(sel.statement.params.is_empty());
    assert_eq!(sel.columns, [0, 1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn select_fields_order_and_paging() {
    let t = lite(&product());
    let f = Filter::with_where(Where::eq("active", true))
        .fields(["qty", "name", "nothing"])
        .order_by("qty", Direction::Desc)
        .order_by("name", Direction::Asc)
        .limit(10)
        .skip(20);
    let sel = select(&SqliteDialect, &t, &f).unwrap();
    assert_eq!(
        sel.statement.sql,
        r#"SELECT "Product"."name", "Product"."qty" FROM "Product" WHERE "Product"."active" = ? ORDER BY "Product"."qty" DESC, "Product"."name" ASC, "Product"."id" ASC LIMIT ? OFFSET ?"#
    );
    assert_eq!(
        sel.statement.params,
        [Value::Bool(true), Value::Int(10), Value::Int(20)]
    );
    assert_eq!(sel.columns, [1, 2]);

    let f = Filter::new()
        .exclude_fields(["meta", "tags", "blob", "born"])
        .order_by("id", Direction::Desc)
        .skip(5);
    let sel = select(&SqliteDialect, &t, &f).unwrap();
    assert_eq!(
        sel.statement.sql,
        r#"SELECT "Product"."id", "Product"."name", "Product"."qty", "Product"."active" FROM "Product" ORDER BY "Product"."id" DESC LIMIT ? OFFSET ?"#
    );
    assert_eq!(
        sel.statement.params,
        [Value::Int(-1), Value::Int(5)],
        "no OFFSET without LIMIT in SQLite"
    );

    // `limit: 0` is no limit, as in LoopBack; selecting no property still counts rows.
    let sel = select(
        &SqliteDialect,
        &t,
        &Filter::new().fields(["nothing"]).limit(0),
    )
    .unwrap();
    assert_eq!(
        sel.statement.sql,
        r#"SELECT NULL FROM "Product" ORDER BY "Product"."id" ASC"#
    );
    assert!(sel.columns.is_empty());
}

#[test]
fn equality_and_null() {
    assert_eq!(
        cond(Where::eq("name", "a")),
        (r#""name" = ?"#.into(), vec![s("a")])
    );
    assert_eq!(
        cond(Where::eq("name", Value::Null)),
        (r#""name" IS NULL"#.into(), vec![])
    );
    assert_eq!(
        cond(c("name", Condition::Neq(Value::Null))),
        (r#""name" IS NOT NULL"#.into(), vec![])
    );
    assert_eq!(
        cond(c("name", Condition::Neq(s("a")))),
        (r#"("name" IS NULL OR "name" <> ?)"#.into(), vec![s("a")])
    );
}

#[test]
fn comparisons_bind_values_as_stored() {
    let when = parse_date("2020-01-02T03:04:05.678Z").unwrap();
    assert_eq!(
        cond(c("born", Condition::Gt(Value::Date(when)))),
        (
            r#""born" > ?"#.into(),
            vec![Value::Int(when.timestamp_millis())]
        )
    );
    assert_eq!(
        cond(c("qty", Condition::Gte(Value::Int(2)))),
        (r#""qty" >= ?"#.into(), vec![Value::Int(2)])
    );
    assert_eq!(
        cond(c("qty", Condition::Lt(Value::Float(2.5)))),
        (r#""qty" < ?"#.into(), vec![Value::Float(2.5)])
    );
    assert_eq!(
        cond(c("name", Condition::Lte(s("m")))),
        (r#""name" <= ?"#.into(), vec![s("m")])
    );
    assert_eq!(
        cond(c("qty", Condition::Between(Value::Int(1), Value::Int(5)))),
        (
            r#""qty" BETWEEN ? AND ?"#.into(),
            vec![Value::Int(1), Value::Int(5)]
        )
    );
    // A value the column cannot hold equals nothing and compares with nothing.
    assert_eq!(cond(Where::eq("qty", "many")), ("1 = 0".into(), vec![]));
    assert_eq!(
        cond(c("qty", Condition::Neq(s("many")))),
        ("1 = 1".into(), vec![])
    );
    assert_eq!(
        cond(c("qty", Condition::Gt(Value::Null))),
        ("1 = 0".into(), vec![])
    );
    assert_eq!(
        cond(c("qty", Condition::Between(Value::Int(1), s("x")))),
        ("1 = 0".into(), vec![])
    );
    // JSON columns compare their JSON text.
    assert_eq!(
        cond(Where::eq("meta", Value::Object(record! {"a" => 1}))),
        (r#""meta" = ?"#.into(), vec![s(r#"{"a":1}"#)])
    );
}

#[test]
fn inq_and_nin() {
    let l = |v: Vec<Value>| v;
    assert_eq!(
        cond(c(
            "qty",
            Condition::Inq(l(vec![Value::Int(1), Value::Int(2)]))
        )),
        (
            r#""qty" IN (?, ?)"#.into(),
            vec![Value::Int(1), Value::Int(2)]
        )
    );
    assert_eq!(
        cond(c("qty", Condition::Inq(vec![]))),
        ("1 = 0".into(), vec![])
    );
    assert_eq!(
        cond(c("qty", Condition::Nin(vec![]))),
        ("1 = 1".into(), vec![])
    );
    assert_eq!(
        cond(c("qty", Condition::Inq(vec![Value::Null, Value::Int(1)]))),
        (
            r#"("qty" IS NULL OR "qty" IN (?))"#.into(),
            vec![Value::Int(1)]
        )
    );
    assert_eq!(
        cond(c("qty", Condition::Inq(vec![Value::Null]))),
        (r#""qty" IS NULL"#.into(), vec![])
    );
    assert_eq!(
        cond(c("qty", Condition::Nin(vec![Value::Int(1)]))),
        (
            r#"("qty" IS NULL OR "qty" NOT IN (?))"#.into(),
            vec![Value::Int(1)]
        )
    );
    assert_eq!(
        cond(c("qty", Condition::Nin(vec![Value::Int(1), Value::Null]))),
        (
            r#"("qty" IS NOT NULL AND "qty" NOT IN (?))"#.into(),
            vec![Value::Int(1)]
        )
    );
    assert_eq!(
        cond(c("qty", Condition::Nin(vec![Value::Null]))),
        (r#""qty" IS NOT NULL"#.into(), vec![])
    );
    assert_eq!(
        cond(c("qty", Condition::Inq(vec![s("x")]))),
        ("1 = 0".into(), vec![]),
        "incomparable values are left out"
    );
}

#[test]
fn patterns() {
    assert_eq!(
        cond(c("name", Condition::Like("a%".into()))),
        (r#"("name" LIKE ? ESCAPE '\')"#.into(), vec![s("a%")])
    );
    assert_eq!(
        cond(c("name", Condition::NLike("a%".into()))),
        (
            r#"("name" IS NULL OR NOT ("name" LIKE ? ESCAPE '\'))"#.into(),
            vec![s("a%")]
        )
    );
    assert_eq!(
        cond(c("name", Condition::ILike("A%".into()))),
        (
            r#"(LOWER("name") LIKE LOWER(?) ESCAPE '\')"#.into(),
            vec![s("A%")]
        )
    );
    assert_eq!(
        cond(c("name", Condition::NILike("A%".into()))),
        (
            r#"("name" IS NULL OR NOT (LOWER("name") LIKE LOWER(?) ESCAPE '\'))"#.into(),
            vec![s("A%")]
        )
    );
    // A trailing lone backslash stands for itself, as on the memory connector.
    assert_eq!(
        cond(c("name", Condition::Like("a\\".into()))).1,
        [s("a\\\\")]
    );
    assert_eq!(
        cond(c("name", Condition::Like("a\\\\".into()))).1,
        [s("a\\\\")]
    );
    // SQLite's LIKE stops at NUL; such patterns go through the regex function, anchored.
    assert_eq!(
        cond(c("name", Condition::Like("a\0%".into()))),
        (
            r#"("name" REGEXP ?)"#.into(),
            vec![s("(?s)\\A(?:a\0.*)\\z")]
        )
    );
    let re = |source: &str, i: bool, m: bool| {
        Condition::Regexp(RegexpPattern {
            source: source.into(),
            case_insensitive: i,
            global: true,
            multiline: m,
        })
    };
    assert_eq!(
        cond(c("name", re("^a.c", false, false))),
        (r#"("name" REGEXP ?)"#.into(), vec![s("^a.c")])
    );
    assert_eq!(
        cond(c("name", re("^a", true, true))),
        (r#"("name" REGEXP ?)"#.into(), vec![s("(?im)^a")])
    );
}

#[test]
fn junctions() {
    let a = Where::eq("name", "a");
    let b = c("qty", Condition::Gt(Value::Int(1)));
    assert_eq!(
        cond(Where::And(vec![a.clone(), b.clone()])),
        (
            r#"("name" = ? AND "qty" > ?)"#.into(),
            vec![s("a"), Value::Int(1)]
        )
    );
    assert_eq!(
        cond(Where::Or(vec![
            a.clone(),
            Where::And(vec![b.clone(), a.clone()])
        ])),
        (
            r#"("name" = ? OR ("qty" > ? AND "name" = ?))"#.into(),
            vec![s("a"), Value::Int(1), s("a")]
        )
    );
    assert_eq!(
        cond(Where::Nor(vec![a.clone(), b])),
        (
            r#"NOT COALESCE(("name" = ? OR "qty" > ?), FALSE)"#.into(),
            vec![s("a"), Value::Int(1)]
        )
    );
    assert_eq!(cond(Where::And(vec![])).0, "1 = 1");
    assert_eq!(cond(Where::Or(vec![])).0, "1 = 0");
    assert_eq!(cond(Where::Nor(vec![])).0, "1 = 1");
}

#[test]
fn refused_conditions() {
    // Unknown properties are never interpolated.
    for p in ["nope", "name\"; DROP TABLE \"Product", "x' OR '1'='1"] {
        match err(Where::eq(p, 1)) {
            Error::InvalidFilter { path, message, .. } => {
                assert!(path.starts_with("where."), "{path}");
                assert!(
                    message.contains("is not a property of model `Product`"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let order = select(
        &SqliteDialect,
        &lite(&product()),
        &Filter::new().order_by("nope", Direction::Asc),
    )
    .unwrap_err();
    assert_eq!(order.status(), 400, "{order:?}");
    let near = Near {
        point: GeoPoint::new(1.0, 2.0).unwrap(),
        max_distance: None,
        min_distance: None,
        unit: None,
    };
    for (w, what) in [
        (Where::eq("tags.a", 1), "nested"),
        (c("name", Condition::Near(near)), "near"),
        (c("qty", Condition::Like("1%".into())), "like"),
        (
            c(
                "born",
                Condition::Regexp(RegexpPattern {
                    source: "1".into(),
                    case_insensitive: false,
                    global: false,
                    multiline: false,
                }),
            ),
            "regexp",
        ),
        (Where::eq("tags", "a"), "array"),
        (c("tags", Condition::Inq(vec![s("a")])), "array"),
        (c("meta", Condition::Gt(Value::Int(1))), "JSON"),
    ] {
        match err(w) {
            e @ Error::NotSupported { .. } => assert!(e.to_string().contains(what), "{e}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    // Whole-array equality and null tests are answered.
    assert_eq!(
        cond(Where::eq("tags", Value::from(vec!["a"]))).1,
        [s(r#"["a"]"#)]
    );
    assert_eq!(cond(Where::eq("tags", Value::Null)).0, r#""tags" IS NULL"#);
    let bad = c(
        "name",
        Condition::Regexp(RegexpPattern {
            source: "(".into(),
            case_insensitive: false,
            global: false,
            multiline: false,
        }),
    );
    assert_eq!(err(bad).status(), 400);
}

#[test]
fn inserts() {
    let t = lite(&product());
    let data = record! {"qty" => 3, "unknown" => 1, "name" => "a", "id" => Value::Null, "born" => Value::Date(parse_date("1970-01-01T00:00:01Z").unwrap())};
    let ins = insert(&SqliteDialect, &t, &data).unwrap();
    assert_eq!(
        ins.statement.sql,
        r#"INSERT INTO "Product" ("name", "qty", "born") VALUES (?, ?, ?) RETURNING "id""#
    );
    assert_eq!(
        ins.statement.params,
        [s("a"), Value::Int(3), Value::Int(1000)]
    );
    assert_eq!((ins.returning, ins.id), (Some(0), None));
    let ins = insert(&SqliteDialect, &t, &record! {"id" => 7}).unwrap();
    assert_eq!(
        ins.statement.sql,
        r#"INSERT INTO "Product" ("id") VALUES (?) RETURNING "id""#
    );
    assert_eq!(ins.id, Some(Value::Int(7)));
    let ins = insert(&SqliteDialect, &t, &Record::new()).unwrap();
    assert_eq!(
        ins.statement.sql,
        r#"INSERT INTO "Product" DEFAULT VALUES RETURNING "id""#
    );
    // Values that do not fit their column are a 400 naming the property.
    let e = insert(&SqliteDialect, &t, &record! {"qty" => "many"}).unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(e.to_string().contains("`qty`"), "{e}");
    // JSON columns get JSON text; booleans stay booleans for the driver.
    let ins = insert(&SqliteDialect, &t, &record! {"meta" => Value::Object(record! {"k" => "v"}), "tags" => vec!["x"], "active" => true}).unwrap();
    assert_eq!(
        ins.statement.params,
        [Value::Bool(true), s(r#"{"k":"v"}"#), s(r#"["x"]"#)]
    );
    // Without RETURNING the connector reads the last insert id.
    let p = TableMapping::new(&Dollar, &product()).unwrap();
    let ins = insert(&Dollar, &p, &record! {"name" => "a", "qty" => 1}).unwrap();
    assert_eq!(
        ins.statement.sql,
        r#"INSERT INTO "product" ("name", "qty") VALUES ($1, $2)"#
    );
    assert_eq!(ins.returning, None);
}

#[test]
fn generated_string_ids() {
    let t = lite(&def(
        json!({"name": "Sku", "properties": {"sku": {"type": "string", "id": true}}}),
    ));
    let mut data = Record::new();
    assert!(assign_generated_id(&t, &mut data));
    assert_eq!(
        data.get("sku").and_then(Value::as_str).map(str::len),
        Some(36)
    );
    let mut given = record! {"sku" => "a"};
    assert!(!assign_generated_id(&t, &mut given));
    assert!(
        !assign_generated_id(&lite(&product()), &mut Record::new()),
        "numeric ids come from the database"
    );
}

#[test]
fn updates_replaces_and_deletes() {
    let t = lite(&product());
    let w = Where::eq("qty", 1);
    let Write::Execute(u) = update(
        &SqliteDialect,
        &t,
        Some(&w),
        &record! {"qty" => 2, "id" => 9, "name" => "b", "x" => 1},
    )
    .unwrap() else {
        panic!("an update")
    };
    assert_eq!(
        u.sql,
        r#"UPDATE "Product" SET "name" = ?, "qty" = ? WHERE "Product"."qty" = ?"#
    );
    assert_eq!(u.params, [s("b"), Value::Int(2), Value::Int(1)]);
    let Write::Count(nothing) = update(&SqliteDialect, &t, None, &record! {"id" => 9}).unwrap()
    else {
        panic!("nothing to set")
    };
    assert_eq!(nothing.sql, r#"SELECT COUNT(*) FROM "Product""#);

    let Write::Execute(r) = replace_by_id(
        &SqliteDialect,
        &t,
        &Value::Int(4),
        &record! {"name" => "n", "id" => 4},
    )
    .unwrap() else {
        panic!("a replace")
    };
    assert_eq!(
        r.sql,
        r#"UPDATE "Product" SET "name" = ?, "qty" = ?, "active" = ?, "born" = ?, "meta" = ?, "tags" = ?, "blob" = ? WHERE "Product"."id" = ?"#
    );
    assert_eq!(r.params[0], s("n"));
    assert!(r.params[1..7].iter().all(Value::is_null));
    assert_eq!(r.params[7], Value::Int(4));

    let only_id = lite(&def(
        json!({"name": "Tag", "properties": {"code": {"type": "string", "id": true}}}),
    ));
    assert!(matches!(
        replace_by_id(&SqliteDialect, &only_id, &s("a"), &Record::new()).unwrap(),
        Write::Count(_)
    ));

    let del = delete(&SqliteDialect, &t, Some(&Where::eq("name", "x"))).unwrap();
    assert_eq!(
        (del.sql.as_str(), del.params),
        (
            r#"DELETE FROM "Product" WHERE "Product"."name" = ?"#,
            vec![s("x")]
        )
    );
    assert_eq!(
        delete(&SqliteDialect, &t, None).unwrap().sql,
        r#"DELETE FROM "Product""#
    );
}

#[test]
fn dollar_placeholders_number_every_parameter_in_order() {
    let t = TableMapping::new(&Dollar, &product()).unwrap();
    let f = Filter::with_where(Where::And(vec![
        Where::eq("name", "a"),
        c("qty", Condition::Inq(vec![Value::Int(1), Value::Int(2)])),
        c("name", Condition::ILike("%x%".into())),
    ]))
    .fields(["id"])
    .limit(3)
    .skip(1);
    let sel = select(&Dollar, &t, &f).unwrap();
    assert_eq!(
        sel.statement.sql,
        r#"SELECT "id" FROM "product" WHERE ("name" = $1 AND "qty" IN ($2, $3) AND ("name" ILIKE $4)) ORDER BY "id" ASC LIMIT $5 OFFSET $6"#
    );
    assert_eq!(sel.statement.params.len(), 6);
    let e = count(
        &Dollar,
        &t,
        Some(&c(
            "name",
            Condition::Regexp(RegexpPattern {
                source: "a".into(),
                case_insensitive: false,
                global: false,
                multiline: false,
            }),
        )),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::NotSupported { ref connector, .. } if connector == "postgresql"),
        "the default is no regexp: {e:?}"
    );
}

#[test]
fn sqlite_ddl() {
    let t = lite(&def(json!({
        "name": "Item",
        "properties": {
            "name": {"type": "string", "required": true, "index": true},
            "code": {"type": "string", "index": {"unique": true}},
            "n": {"type": "number", "sqlite3": {"dataType": "INTEGER"}},
            "at": "date"
        },
        "indexes": {"by_n_at": {"keys": {"n": 1, "at": -1}, "options": {"unique": true}}}
    })));
    let stmts = ddl::create_table(&SqliteDialect, &t);
    let sql: Vec<&str> = stmts.iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(
        sql,
        [
            r#"CREATE TABLE "Item" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "code" TEXT, "n" INTEGER, "at" INTEGER)"#,
            r#"CREATE INDEX "Item_name" ON "Item" ("name")"#,
            r#"CREATE UNIQUE INDEX "Item_code" ON "Item" ("code")"#,
            r#"CREATE UNIQUE INDEX "by_n_at" ON "Item" ("n", "at" DESC)"#,
        ]
    );
    assert_eq!(
        ddl::drop_table(&SqliteDialect, &t).sql,
        r#"DROP TABLE IF EXISTS "Item""#
    );
    assert_eq!(
        ddl::add_column(&SqliteDialect, &t, &t.columns[1]).sql,
        r#"ALTER TABLE "Item" ADD COLUMN "name" TEXT"#
    );

    let composite = lite(&def(json!({
        "name": "Stock", "sqlite3": {"schema": "aux"},
        "properties": {
            "product": {"type": "number", "id": 1},
            "location": {"type": "string", "id": 2},
            "qty": {"type": "number", "index": true},
            "flag": "boolean", "data": "buffer", "loc": "geopoint"
        }
    })));
    let sql: Vec<String> = ddl::create_table(&SqliteDialect, &composite)
        .into_iter()
        .map(|s| s.sql)
        .collect();
    assert_eq!(
        sql,
        [
            r#"CREATE TABLE "aux"."Stock" ("product" INTEGER NOT NULL, "location" TEXT NOT NULL, "qty" REAL, "flag" INTEGER, "data" BLOB, "loc" TEXT, PRIMARY KEY ("product", "location"))"#,
            r#"CREATE INDEX "aux"."Stock_qty" ON "Stock" ("qty")"#,
        ]
    );
    let q = SqliteDialect.table_columns_query(&composite);
    assert_eq!(
        (q.sql.as_str(), q.params),
        (
            "SELECT name FROM pragma_table_info(?, ?)",
            vec![s("Stock"), s("aux")]
        )
    );
    let q = SqliteDialect.table_exists_query(&t);
    assert_eq!(
        q.sql,
        r#"SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE"#
    );
}

#[test]
fn decoding_by_property_type() {
    let t = lite(&def(json!({"name": "All", "properties": {
        "s": "string", "n": "number", "i": {"type": "number", "sqlite3": {"dataType": "BIGINT"}},
        "b": "boolean", "d": "date", "buf": "buffer", "o": "object", "a": ["date"], "g": "geopoint", "any": "any"
    }})));
    let dec = |p: &str, v: Value| SqliteDialect.decode(t.column(p).unwrap(), v);
    assert_eq!(dec("s", s("x")), s("x"));
    assert!(
        matches!(dec("n", Value::Float(3.0)), Value::Int(3)),
        "whole doubles read back as integers"
    );
    assert!(matches!(dec("n", Value::Float(2.5)), Value::Float(_)));
    let big = (1_i64 << 53) + 1;
    assert!(matches!(dec("i", Value::Int(big)), Value::Int(n) if n == big));
    assert_eq!(dec("b", Value::Int(1)), Value::Bool(true));
    assert_eq!(dec("b", Value::Int(0)), Value::Bool(false));
    let when = parse_date("2021-06-15T12:00:00.123Z").unwrap();
    assert_eq!(
        dec("d", Value::Int(when.timestamp_millis())),
        Value::Date(when)
    );
    assert_eq!(
        dec("d", s("2021-06-15T12:00:00.123Z")),
        Value::Date(when),
        "ISO text written by others"
    );
    assert_eq!(
        dec("buf", Value::Buffer(vec![0, 255])),
        Value::Buffer(vec![0, 255])
    );
    assert_eq!(
        dec("o", s(r#"{"a":[1,true]}"#)),
        Value::Object(record! {"a" => Value::Array(vec![Value::Int(1), Value::Bool(true)])})
    );
    assert_eq!(
        dec("a", s(r#"["2021-06-15T12:00:00.123Z"]"#)),
        Value::Array(vec![Value::Date(when)])
    );
    assert_eq!(
        dec("g", s(r#"{"lat":1.5,"lng":2}"#)),
        Value::GeoPoint(GeoPoint::new(1.5, 2.0).unwrap())
    );
    assert_eq!(dec("any", s(r#""x""#)), s("x"));
    assert_eq!(
        dec("o", s("not json")),
        s("not json"),
        "what does not convert is returned as read"
    );
    assert_eq!(dec("s", Value::Null), Value::Null);
    // And encoding round-trips.
    let enc = |p: &str, v: Value| SqliteDialect.encode(t.column(p).unwrap(), v).unwrap();
    assert_eq!(enc("g", s("1.5,2")), s(r#"{"lat":1.5,"lng":2}"#));
    assert_eq!(enc("i", Value::Float(4.0)), Value::Int(4));
    assert_eq!(enc("d", s("1970-01-01T00:00:00.005Z")), Value::Int(5));
    assert_eq!(enc("any", s("x")), s(r#""x""#));
}

fn related(quantifier: Quantifier, w: Where) -> Where {
    let review =
        def(json!({"name": "Review", "properties": {"stars": "number", "productId": "number"}}));
    Where::Related(Box::new(RelatedWhere {
        relation: "reviews".into(),
        quantifier,
        where_: w,
        join: Some(Join {
            key_from: "id".into(),
            target: std::sync::Arc::new(review),
            key_to: "productId".into(),
        }),
    }))
}

#[test]
fn related_conditions_are_uncorrelated_subqueries() {
    let stars = || c("stars", Condition::Gte(Value::Int(4)));
    assert_eq!(
        cond(related(Quantifier::Some, stars())),
        (
            r#""id" IN (SELECT "productId" FROM "Review" WHERE "Review"."stars" >= ?)"#.into(),
            vec![Value::Int(4)]
        )
    );
    assert_eq!(
        cond(related(Quantifier::None, stars())).0,
        r#"("id" IS NULL OR "id" NOT IN (SELECT "productId" FROM "Review" WHERE "productId" IS NOT NULL AND "Review"."stars" >= ?))"#
    );
    assert_eq!(
        cond(related(Quantifier::Every, stars())).0,
        r#"("id" IS NULL OR "id" NOT IN (SELECT "productId" FROM "Review" WHERE "productId" IS NOT NULL AND NOT COALESCE("Review"."stars" >= ?, FALSE)))"#
    );
    // Parameters keep their order around a subquery.
    let (sql, params) = cond(Where::And(vec![
        Where::eq("name", "a"),
        related(Quantifier::Some, stars()),
        c("qty", Condition::Lt(Value::Int(9))),
    ]));
    assert_eq!(
        sql,
        r#"("name" = ? AND "id" IN (SELECT "productId" FROM "Review" WHERE "Review"."stars" >= ?) AND "qty" < ?)"#
    );
    assert_eq!(params, vec![s("a"), Value::Int(4), Value::Int(9)]);
    // Placeholders are numbered through the subquery.
    let t = TableMapping::new(&Dollar, &product()).unwrap();
    let w = Where::And(vec![
        Where::eq("name", "a"),
        related(Quantifier::Some, stars()),
    ]);
    assert_eq!(
        count(&Dollar, &t, Some(&w)).unwrap().sql,
        r#"SELECT COUNT(*) FROM "product" WHERE ("name" = $1 AND "id" IN (SELECT "productid" FROM "review" WHERE "stars" >= $2))"#
    );
}

#[test]
fn related_conditions_refused_when_unresolved_or_unknown() {
    let unresolved = Where::related("reviews", Quantifier::Some, Where::eq("stars", 1));
    let e = err(unresolved);
    assert_eq!(e.status(), 400);
    assert!(e.to_string().contains("was not resolved"), "{e}");
    // Keys and related properties are checked against the definitions.
    let e = err(related(Quantifier::Some, Where::eq("nosuch", 1)));
    assert_eq!(e.status(), 400);
    assert!(
        e.to_string()
            .contains("`nosuch` is not a property of model `Review`"),
        "{e}"
    );
}

/// Migration plans against real databases: the plan is what runs, and what it holds.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod migration_plans {
    use std::sync::Arc;

    use loopback_core::connector::{Connector, Options};
    use loopback_core::model::ModelDefinition;
    use serde_json::json;

    use super::super::{Discovery, MigrationPhase};

    fn model(j: serde_json::Value) -> Arc<ModelDefinition> {
        let mut d = ModelDefinition::from_lb3_json(&j).unwrap();
        d.inject_id();
        Arc::new(d)
    }

    /// `PlanAuthor` and `PlanBook` (an indexed column, a declared foreign key when
    /// `foreign_keys`), and `PlanBook` with one more property.
    fn models(foreign_keys: bool) -> (Vec<Arc<ModelDefinition>>, Vec<Arc<ModelDefinition>>) {
        let author = model(json!({
            "name": "PlanAuthor",
            "properties": {"id": {"type": "number", "id": true, "generated": true},
                           "name": {"type": "string", "required": true, "index": true}}
        }));
        let book = |extra: bool| {
            let mut j = json!({
                "name": "PlanBook",
                "properties": {"id": {"type": "number", "id": true, "generated": true},
                               "title": {"type": "string", "required": true},
                               "authorId": {"type": "number",
                                            "mysql": {"dataType": "INT"},
                                            "postgresql": {"dataType": "INTEGER"}}}
            });
            if foreign_keys {
                j["foreignKeys"] = json!({"fk_plan_book_author": {
                    "name": "fk_plan_book_author", "entity": "PlanAuthor", "entityKey": "id",
                    "foreignKey": "authorId", "onDelete": "CASCADE"}});
            }
            if extra {
                j["properties"]["isbn"] = json!({"type": "string"});
            }
            model(j)
        };
        (vec![author.clone(), book(false)], vec![author, book(true)])
    }

    async fn run(db: &dyn Discovery, stmts: &[super::Statement]) {
        for s in stmts {
            db.discovery_connector()
                .execute(&s.sql, &s.params, &Options::new())
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", s.sql));
        }
    }

    /// The scenario every database runs: the plans are computed without touching the
    /// database, running a plan's statements by hand gives what the connector's migration
    /// gives, an up-to-date database has an empty autoupdate plan, and a new property is
    /// exactly one `ALTER TABLE … ADD COLUMN`.
    async fn scenario(db: &dyn Discovery, foreign_keys: bool) {
        let (v1, v2) = models(foreign_keys);
        let before = db
            .discover_model_definitions(&Default::default())
            .await
            .unwrap();

        // A dry run changes nothing.
        let plan = db.automigrate_plan(&v1).await.unwrap();
        let statements = db.automigrate_statements(&v1).await.unwrap();
        assert_eq!(
            plan.statements().cloned().collect::<Vec<_>>(),
            statements,
            "the plan and the statements agree"
        );
        assert_eq!(
            db.discover_model_definitions(&Default::default())
                .await
                .unwrap(),
            before,
            "planning ran nothing"
        );
        assert!(!db.is_actual(&v1).await.unwrap());
        // One table step per model, in order, then the foreign keys.
        let table_steps: Vec<&str> = plan
            .steps
            .iter()
            .filter(|s| s.phase == MigrationPhase::Table)
            .map(|s| s.model.as_str())
            .collect();
        assert_eq!(table_steps, ["PlanAuthor", "PlanBook"]);
        assert!(
            statements
                .iter()
                .any(|s| s.sql.starts_with("DROP TABLE IF EXISTS")),
            "{statements:?}"
        );
        assert!(
            statements.iter().any(|s| s.sql.starts_with("CREATE TABLE")),
            "{statements:?}"
        );
        assert!(
            statements.iter().any(|s| s.sql.contains("CREATE INDEX")),
            "{statements:?}"
        );
        if foreign_keys {
            assert!(
                statements
                    .iter()
                    .any(|s| s.sql.contains("FOREIGN KEY") && s.sql.contains("fk_plan_book_author")),
                "{statements:?}"
            );
        }

        // Running the plan by hand migrates the database: nothing is left to update.
        run(db, &statements).await;
        assert!(db.is_actual(&v1).await.unwrap());
        let update = db.autoupdate_plan(&v1).await.unwrap();
        assert!(update.is_empty(), "{update:?}");
        assert!(db.autoupdate_statements(&v1).await.unwrap().is_empty());
        // Every model still has its (empty) step.
        assert_eq!(update.steps.len(), 2);
        if foreign_keys {
            let fks = db
                .discover_foreign_keys(
                    &update.steps[1].table.table,
                    update.steps[1].table.schema.as_deref(),
                )
                .await
                .unwrap();
            assert_eq!(fks.len(), 1, "{fks:?}");
        }

        // A new property: exactly one ALTER TABLE … ADD COLUMN, on the book table.
        assert!(!db.is_actual(&v2).await.unwrap());
        let add = db.autoupdate_statements(&v2).await.unwrap();
        assert_eq!(add.len(), 1, "{add:?}");
        assert!(add[0].sql.starts_with("ALTER TABLE "), "{add:?}");
        assert!(add[0].sql.contains(" ADD COLUMN "), "{add:?}");
        assert!(add[0].sql.contains("isbn"), "{add:?}");
        // The connector's autoupdate runs that plan.
        let conn: &dyn Connector = db.discovery_connector();
        conn.autoupdate(&v2).await.unwrap();
        assert!(db.is_actual(&v2).await.unwrap());
        assert!(db.autoupdate_plan(&v2).await.unwrap().is_empty());

        // apply_migration reports every step once, in order, after running it. (Only the
        // referencing table is re-created: dropping a referenced table fails on PostgreSQL and
        // MySQL, whose automigrate does not drop the referencing tables first.)
        let plan = db.automigrate_plan(&v2[1..]).await.unwrap();
        // SQLite writes foreign keys into CREATE TABLE; the others add them in a last step.
        if foreign_keys && db.discovery_dialect().name() != "sqlite3" {
            assert_eq!(plan.steps.len(), 2, "{plan:?}");
            assert_eq!(plan.steps[1].phase, MigrationPhase::ForeignKeys);
        }
        let mut seen = Vec::new();
        db.apply_migration(&plan, &mut |i, step| seen.push((i, step.model.clone())))
            .await
            .unwrap();
        let expected: Vec<(usize, String)> = plan
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.model.clone()))
            .collect();
        assert_eq!(seen, expected);
        assert!(db.is_actual(&v2).await.unwrap());
        assert!(db.autoupdate_plan(&v2).await.unwrap().is_empty());
        // And the connector's automigrate leaves the same up-to-date database.
        conn.automigrate(&v2[1..]).await.unwrap();
        assert!(db.autoupdate_plan(&v2).await.unwrap().is_empty());
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_plans_are_what_runs() {
        let db = crate::sqlite::SqliteConnector::from_settings(&json!({})).unwrap();
        scenario(&db, true).await;
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_plans_without_foreign_keys() {
        let db = crate::sqlite::SqliteConnector::from_settings(&json!({})).unwrap();
        scenario(&db, false).await;
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_autoupdate_plan_refuses_a_foreign_key_on_an_existing_table() {
        let db = crate::sqlite::SqliteConnector::from_settings(&json!({})).unwrap();
        let (plain, _) = models(false);
        let (with_fk, _) = models(true);
        db.automigrate(&plain).await.unwrap();
        let e = db.autoupdate_plan(&with_fk).await.unwrap_err();
        assert_eq!(e.status(), 501, "{e:?}");
    }

    /// A database or schema made for one test, dropped afterwards (even on panic).
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    struct Scratch {
        admin_url: String,
        drop_sql: String,
        mysql: bool,
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    impl Drop for Scratch {
        fn drop(&mut self) {
            let (url, sql, mysql) = (self.admin_url.clone(), self.drop_sql.clone(), self.mysql);
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(async move {
                    let settings = json!({"url": url, "connectionLimit": 1});
                    let admin: Box<dyn Connector> = if mysql {
                        #[cfg(feature = "mysql")]
                        {
                            Box::new(
                                crate::mysql::MySqlConnector::from_settings(&settings).unwrap(),
                            )
                        }
                        #[cfg(not(feature = "mysql"))]
                        unreachable!()
                    } else {
                        #[cfg(feature = "postgres")]
                        {
                            Box::new(
                                crate::postgres::PostgresConnector::from_settings(&settings)
                                    .unwrap(),
                            )
                        }
                        #[cfg(not(feature = "postgres"))]
                        unreachable!()
                    };
                    if let Err(e) = admin.execute(&sql, &[], &Options::new()).await {
                        eprintln!("could not clean up ({sql}): {e}");
                    }
                });
            })
            .join();
        }
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    fn scratch_name() -> String {
        use std::hash::{BuildHasher, Hasher};
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
            & 0xff_ffff;
        format!("lbt_plan_{}_{random:06x}", std::process::id())
    }

    fn server(var: &str) -> Option<String> {
        match std::env::var(var) {
            Ok(url) if !url.trim().is_empty() => Some(url),
            _ => {
                eprintln!("skipping: {var} is not set");
                None
            }
        }
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn postgres_plans_are_what_runs() {
        let Some(url) = server("LOOPBACK_TEST_POSTGRES_URL") else {
            return;
        };
        let name = scratch_name();
        let admin =
            crate::postgres::PostgresConnector::from_settings(&json!({"url": url})).unwrap();
        admin
            .execute(&format!("CREATE SCHEMA \"{name}\""), &[], &Options::new())
            .await
            .unwrap_or_else(|e| panic!("LOOPBACK_TEST_POSTGRES_URL={url} is unusable: {e}"));
        admin.close().await;
        let _guard = Scratch {
            admin_url: url.clone(),
            drop_sql: format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"),
            mysql: false,
        };
        let db =
            crate::postgres::PostgresConnector::from_settings(&json!({"url": url, "schema": name}))
                .unwrap();
        scenario(&db, true).await;
        // A schema that exists is not created again by autoupdate.
        let (v1, _) = models(true);
        assert!(db.autoupdate_plan(&v1).await.unwrap().is_empty());
        db.close().await;
    }

    #[cfg(feature = "mysql")]
    #[tokio::test]
    async fn mysql_plans_are_what_runs() {
        let Some(url) = server("LOOPBACK_TEST_MYSQL_URL") else {
            return;
        };
        let name = scratch_name();
        let admin = crate::mysql::MySqlConnector::from_settings(&json!({"url": url})).unwrap();
        admin
            .execute(
                &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
                &[],
                &Options::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("LOOPBACK_TEST_MYSQL_URL={url} is unusable: {e}"));
        admin.close().await;
        let _guard = Scratch {
            admin_url: url.clone(),
            drop_sql: format!("DROP DATABASE IF EXISTS `{name}`"),
            mysql: true,
        };
        let db =
            crate::mysql::MySqlConnector::from_settings(&json!({"url": url, "database": name}))
                .unwrap();
        scenario(&db, true).await;
        db.close().await;
    }
}

/// PostgreSQL binds `inq`/`nin` lists of integers on integer columns and of strings on text
/// columns as one array (`= ANY($n)`, `<> ALL($n)`), with the null handling of the
/// placeholder form around it; other lists keep one placeholder per value.
#[cfg(feature = "postgres")]
#[test]
fn postgres_lists_of_integers_and_strings_are_one_array_parameter() {
    let d = PostgresDialect;
    let mut m = product();
    m.inject_id();
    let t = TableMapping::new(&d, &m).unwrap();
    let sql = |w: Where| count(&d, &t, Some(&w)).unwrap();
    let ints = sql(c("id", Condition::Inq(vec![Value::Int(1), Value::Int(2)])));
    assert!(
        ints.sql.ends_with(r#"WHERE "id" = ANY($1)"#),
        "{}",
        ints.sql
    );
    assert_eq!(
        ints.params,
        vec![Value::Array(vec![Value::Int(1), Value::Int(2)])]
    );
    let texts = sql(c("name", Condition::Nin(vec![s("a"), s("b'c")])));
    assert!(
        texts
            .sql
            .ends_with(r#"WHERE ("name" IS NULL OR "name" <> ALL($1))"#),
        "{}",
        texts.sql
    );
    let with_null = sql(c(
        "id",
        Condition::Inq(vec![Value::Null, Value::Int(1), Value::Int(2)]),
    ));
    assert!(
        with_null
            .sql
            .ends_with(r#"WHERE ("id" IS NULL OR "id" = ANY($1))"#),
        "{}",
        with_null.sql
    );
    // Doubles, a single value and mixed lists keep placeholders.
    let doubles = sql(c("qty", Condition::Inq(vec![Value::Int(1), Value::Int(2)])));
    assert!(
        doubles.sql.ends_with(r#"WHERE "qty" IN ($1, $2)"#),
        "{}",
        doubles.sql
    );
    let one = sql(c("id", Condition::Inq(vec![Value::Int(1)])));
    assert!(one.sql.ends_with(r#"WHERE "id" IN ($1)"#), "{}", one.sql);
}

#[test]
fn ordering_by_a_json_path_orders_by_type_number_then_text() {
    let t = lite(&product());
    let filter = Filter::new()
        .order_by("meta.a.b", Direction::Desc)
        .order_by("name", Direction::Asc);
    let sql = select(&SqliteDialect, &t, &filter).unwrap().statement.sql;
    let (_, order) = sql.split_once(" ORDER BY ").unwrap();
    let path = r#"'$."a"."b"'"#;
    let ty = format!(r#"json_type("Product"."meta", {path})"#);
    assert!(
        order.starts_with(&format!(
            "(CASE {ty} WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'integer' THEN 2"
        )),
        "{order}"
    );
    assert!(
        order.ends_with(r#" END) DESC, "Product"."name" ASC, "Product"."id" ASC"#),
        "{order}"
    );
    assert_eq!(order.matches(" DESC").count(), 3, "{order}");
    // The same key twice is one key; segments are checked as in `where`.
    let twice = Filter::new()
        .order_by("meta.a", Direction::Asc)
        .order_by("meta.a", Direction::Desc);
    let sql = select(&SqliteDialect, &t, &twice).unwrap().statement.sql;
    assert_eq!(sql.matches(" ASC").count(), 4, "{sql}");
    for (property, status) in [
        ("meta.a'b", 400),
        ("meta.", 400),
        ("name.x", 400),
        ("nope.x", 400),
        ("tags.0", 501),
    ] {
        let e = select(
            &SqliteDialect,
            &t,
            &Filter::new().order_by(property, Direction::Asc),
        )
        .unwrap_err();
        assert_eq!(e.status(), status, "{property}: {e:?}");
    }
}

#[test]
fn booleans_at_a_json_path_compare_as_text() {
    let (sql, params) = cond(c(
        "meta.on",
        Condition::Nin(vec![Value::Bool(true), Value::Null]),
    ));
    let path = r#"'$."on"'"#;
    let boolean = format!(
        r#"(CASE json_type("meta", {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'text' THEN json_extract("meta", {path}) END)"#
    );
    let text = format!(
        r#"(CASE json_type("meta", {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract("meta", {path}) AS TEXT) END)"#
    );
    assert_eq!(
        sql,
        format!("({text} IS NOT NULL AND ({boolean} IS NULL OR {boolean} NOT IN (?)))")
    );
    assert_eq!(params, vec![s("true")]);
    for bad in [
        Condition::Gt(Value::Bool(true)),
        Condition::Inq(vec![Value::Bool(true), s("x")]),
        Condition::Inq(vec![Value::Bool(true), Value::Int(1)]),
    ] {
        assert_eq!(err(c("meta.on", bad.clone())).status(), 501, "{bad:?}");
    }
}

#[cfg(feature = "postgres")]
#[test]
fn related_uuid_and_text_keys_compare_as_text() {
    let d = PostgresDialect;
    let author = def(json!({
        "name": "Author",
        "idInjection": false,
        "properties": {
            "id": {"type": "string", "id": true, "postgresql": {"dataType": "uuid"}},
            "name": "string"
        }
    }));
    let post = def(json!({
        "name": "Post",
        "properties": {"title": "string", "authorId": "string"}
    }));
    let join = |target: &ModelDefinition, from: &str, to: &str| {
        Where::Related(Box::new(RelatedWhere {
            relation: "r".into(),
            quantifier: Quantifier::Some,
            where_: Where::eq("name", "x"),
            join: Some(Join {
                key_from: from.into(),
                target: std::sync::Arc::new(target.clone()),
                key_to: to.into(),
            }),
        }))
    };
    let posts = TableMapping::new(&d, &post).unwrap();
    let sql = count(&d, &posts, Some(&join(&author, "authorId", "id")))
        .unwrap()
        .sql;
    assert_eq!(
        sql,
        r#"SELECT COUNT(*) FROM "post" WHERE CAST("authorid" AS text) IN (SELECT CAST("id" AS text) FROM "author" WHERE "name" = $1)"#
    );
    // Keys of one type are compared as they are.
    let authors = TableMapping::new(&d, &author).unwrap();
    let sql = count(&d, &authors, Some(&join(&author, "id", "id")))
        .unwrap()
        .sql;
    assert!(sql.contains(r#""id" IN (SELECT "id" FROM"#), "{sql}");
}
