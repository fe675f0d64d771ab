//! What the SQL injection tests of every SQL connector share: the payloads, the victim model,
//! helpers to run a condition and compare its rows, and the tests themselves, run by each
//! connector's test file with a [`Backend`] describing how that connector differs.

// Each test file uses a different subset.
#![allow(dead_code)]

use std::any::Any;
use std::sync::Arc;

use loopback::filter::RegexpPattern;
use loopback::{
    App, Condition, Connector, Error, Filter, ModelDefinition, ModelHandle, Options, Record, Value,
    Where,
};
use serde_json::json;

pub fn victim_json() -> serde_json::Value {
    json!({
        "name": "Victim",
        "properties": {
            "s": "string",
            "n": "number",
            "b": "boolean",
            "d": "date",
            "buf": "buffer",
            "o": "object",
            "arr": ["string"],
            "any": "any",
            "g": "geopoint"
        }
    })
}

pub const PROPERTIES: &[&str] = &["s", "n", "b", "d", "buf", "o", "arr", "any", "g"];

/// The victim model on `connector` (migrated first when `migrate`), holding `rows`.
pub async fn handle(
    connector: Arc<dyn Connector>,
    migrate: bool,
    rows: Vec<Record>,
) -> (App, ModelHandle) {
    let app = App::new();
    app.data_source("db", connector.clone());
    let m = app
        .define(
            ModelDefinition::from_lb3_json(&victim_json()).unwrap(),
            "db",
        )
        .await
        .unwrap();
    if migrate {
        connector.automigrate(&[m.definition()]).await.unwrap();
    }
    for r in rows {
        m.create(r, &Options::new()).await.unwrap();
    }
    (app, m)
}

pub async fn ids(m: &ModelHandle, w: &Where) -> loopback::Result<Vec<i64>> {
    let rows = m
        .find(
            Filter::with_where(w.clone()).order_by("id", loopback::Direction::Asc),
            &Options::new(),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.get("id").and_then(Value::as_i64).unwrap())
        .collect())
}

pub fn like_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn re(source: String, case_insensitive: bool) -> Condition {
    Condition::Regexp(RegexpPattern {
        source,
        case_insensitive,
        global: false,
        multiline: false,
    })
}

/// The payloads of every SQL connector.
pub const PAYLOADS: &[&str] = &[
    "'",
    "''",
    "\"",
    "\\",
    "\\'",
    "a'b\"c",
    "'; DROP TABLE \"Victim\"; --",
    "\" OR 1=1 --",
    "') OR ('1'='1",
    "1 OR 1=1",
    "$1",
    "$2::text",
    "?",
    "??",
    ";--",
    "/* */",
    "a\0b",
    "\0",
    "ünïcødé 🎉",
    "ß",
    "Ω≈ç√",
    "%",
    "_",
    "\\%",
    "50%_off",
    "line\nbreak",
    "`x`",
    "NULL",
    "null",
    "ab",
    "AB",
];

/// What sets one SQL connector's injection tests apart from another's.
pub struct Backend {
    /// How failures name the SQL connector.
    pub name: &'static str,
    /// The payloads: one victim row each, with id `index + 1`.
    pub payloads: &'static [&'static str],
    /// Whether text columns hold NUL.
    pub nul_in_text: NulInText,
    /// Which rows an ILIKE pattern of a payload in upper case finds besides its own.
    pub case_twins: CaseTwins,
    /// `(compared, refused)`: how many of the conditions of
    /// [`every_operator_on_every_property_type`] both connectors answer, and how many the SQL
    /// connector refuses.
    pub operator_counts: (usize, usize),
    /// A native statement selecting `id` and `s` of the victims whose `s` is its first
    /// parameter and whose second parameter equals its third.
    pub native_sql: &'static str,
}

/// Whether text columns hold NUL.
pub enum NulInText {
    /// Like any other character.
    Kept,
    /// Not at all (PostgreSQL): the victims' `s` holds `␀` where a payload has NUL (see
    /// [`Backend::storable`]), writing NUL into text is a 400, and so is running `statement`
    /// (`s` of the victims compared with its only parameter) with a NUL parameter.
    Refused { statement: &'static str },
}

/// Which rows an ILIKE pattern of a payload in upper case finds besides its own.
pub enum CaseTwins {
    /// Those equal but for ASCII case.
    Ascii,
    /// Those equal but for case (`é` and `É` too).
    Unicode,
}

impl Backend {
    /// Whether text columns refuse NUL.
    pub fn refuses_nul(&self) -> bool {
        matches!(self.nul_in_text, NulInText::Refused { .. })
    }

    /// A payload as the `s` column can hold it.
    pub fn storable(&self, p: &str) -> String {
        if self.refuses_nul() {
            p.replace('\0', "\u{2400}")
        } else {
            p.to_owned()
        }
    }

    /// Whether an ILIKE pattern of `a` finds `b`.
    fn twins(&self, a: &str, b: &str) -> bool {
        match self.case_twins {
            CaseTwins::Ascii => a.eq_ignore_ascii_case(b),
            CaseTwins::Unicode => a.to_lowercase() == b.to_lowercase(),
        }
    }

    /// One record per payload, the payload in every property that can hold it.
    pub fn rows(&self) -> Vec<Record> {
        self.payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut r = Record::new();
                r.insert("s", self.storable(p));
                r.insert("n", i as i64);
                r.insert("b", i % 2 == 0);
                r.insert(
                    "d",
                    Value::Date(
                        chrono::DateTime::from_timestamp_millis(
                            1_600_000_000_000 + i as i64 * 1000,
                        )
                        .unwrap(),
                    ),
                );
                r.insert("buf", Value::Buffer(p.as_bytes().to_vec()));
                r.insert("o", Value::Object(loopback::record! {"k" => *p}));
                r.insert("arr", Value::from(vec![*p]));
                r.insert("any", *p);
                r.insert("g", loopback::GeoPoint::new(1.0, i as f64).unwrap());
                r
            })
            .collect()
    }
}

/// The victims of a backend on its SQL connector and on the memory connector.
pub struct Pair {
    pub backend: Backend,
    pub sql: ModelHandle,
    pub memory: ModelHandle,
    _apps: (App, App),
    /// Whatever keeps the SQL connector's database alive (dropped last).
    _guard: Box<dyn Any>,
}

impl Pair {
    /// The victims of `backend` on `connector` (migrated first) and on a memory connector;
    /// `guard` is kept as long as the pair.
    pub async fn new(backend: Backend, connector: Arc<dyn Connector>, guard: impl Any) -> Pair {
        let (a, sql) = handle(connector, true, backend.rows()).await;
        let (b, memory) = handle(loopback::connectors::memory(), false, backend.rows()).await;
        Pair {
            backend,
            sql,
            memory,
            _apps: (a, b),
            _guard: Box::new(guard),
        }
    }
}

/// Runs `w` on both connectors: same ids when both answer; otherwise the SQL connector refuses
/// it as not supported (or both refuse it as invalid). Never a database error. Returns whether
/// both answered.
async fn same(p: &Pair, w: Where) -> bool {
    let got = ids(&p.sql, &w).await;
    let mem = ids(&p.memory, &w).await;
    let compared = match (got, mem) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{w:?}");
            true
        }
        (Err(e @ Error::NotSupported { .. }), _) => {
            assert_eq!(e.status(), 501);
            false
        }
        // Ordering text against a string with NUL: such text cannot hold one.
        (Err(e), Ok(_))
            if p.backend.refuses_nul() && e.status() == 400 && format!("{w:?}").contains("\\0") =>
        {
            false
        }
        (Err(a), Err(b)) => {
            assert_eq!((a.status(), b.status()), (400, 400), "{w:?}: {a:?} / {b:?}");
            false
        }
        (a, b) => panic!("{w:?}: {} {a:?}, memory {b:?}", p.backend.name),
    };
    // Whatever the filter, the same data is still there.
    assert_eq!(
        p.sql.count(None, &Options::new()).await.unwrap(),
        p.backend.payloads.len() as u64
    );
    compared
}

pub async fn payloads_are_stored_and_read_back_intact(p: &Pair) {
    let b = &p.backend;
    let stored = p
        .sql
        .find(
            Filter::new().order_by("id", loopback::Direction::Asc),
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), b.payloads.len());
    for (got, want) in stored.iter().zip(b.rows()) {
        for (k, v) in &want {
            assert_eq!(got.get(k), Some(v), "{k} of {got:?}");
        }
    }
    // Updates and replaces carry payloads as safely.
    for (i, payload) in b.payloads.iter().enumerate() {
        let id = Value::Int(i as i64 + 1);
        let doubled = format!("{payload}{payload}");
        let patch = p
            .sql
            .patch_by_id(
                id.clone(),
                loopback::record! {"s" => doubled.clone()},
                &Options::new(),
            )
            .await;
        if b.refuses_nul() && payload.contains('\0') {
            let e = patch.unwrap_err();
            assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
            assert!(e.to_string().contains("NUL"), "{e}");
            let kept = p
                .sql
                .find_by_id(id.clone(), None, &Options::new())
                .await
                .unwrap();
            assert_eq!(
                kept.unwrap().get("s"),
                Some(&Value::from(b.storable(payload)))
            );
            let patched = p
                .sql
                .patch_by_id(
                    id,
                    loopback::record! {"s" => b.storable(&doubled)},
                    &Options::new(),
                )
                .await
                .unwrap();
            assert_eq!(patched.get("s"), Some(&Value::from(b.storable(&doubled))));
            continue;
        }
        let patched = patch.unwrap();
        assert_eq!(patched.get("s"), Some(&Value::from(doubled)));
    }
    let n = p
        .sql
        .update_all(
            Some(Where::eq("s", "''''")),
            loopback::record! {"any" => "'; --"},
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let n = p
        .sql
        .destroy_all(Some(Where::eq("s", b.storable("\0\0"))), &Options::new())
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        p.sql.count(None, &Options::new()).await.unwrap(),
        b.payloads.len() as u64 - 1
    );
}

pub async fn every_operator_on_every_property_type(p: &Pair) {
    let (mut compared, mut refused) = (0, 0);
    for payload in p.backend.payloads {
        let v = Value::from(*payload);
        let other = Value::from("ab");
        for prop in PROPERTIES {
            let c = |op: Condition| Where::cond(*prop, op);
            for w in [
                Where::eq(*prop, v.clone()),
                c(Condition::Neq(v.clone())),
                c(Condition::Gt(v.clone())),
                c(Condition::Gte(v.clone())),
                c(Condition::Lt(v.clone())),
                c(Condition::Lte(v.clone())),
                c(Condition::Between(v.clone(), other.clone())),
                c(Condition::Between(other.clone(), v.clone())),
                c(Condition::Inq(vec![v.clone(), other.clone()])),
                c(Condition::Nin(vec![v.clone(), other.clone()])),
                c(Condition::Inq(vec![v.clone(), Value::Null])),
                c(Condition::Nin(vec![v.clone(), Value::Null])),
                // Unanchored patterns, where LIKE and the memory connector's matching agree.
                c(Condition::Like(format!("%{}%", like_escape(payload)))),
                c(Condition::NLike(format!("%{}%", like_escape(payload)))),
                c(Condition::ILike(format!("%{}%", like_escape(payload)))),
                c(Condition::NILike(format!("%{}%", like_escape(payload)))),
                c(re(regex_escape(payload), false)),
                c(re(format!("^{}$", regex_escape(payload)), true)),
                Where::Nor(vec![
                    Where::eq(*prop, v.clone()),
                    c(Condition::Gt(v.clone())),
                ]),
            ] {
                if same(p, w).await {
                    compared += 1;
                } else {
                    refused += 1;
                }
            }
        }
    }
    assert_eq!((compared, refused), p.backend.operator_counts);
}

pub async fn patterns_find_exactly_their_rows(p: &Pair) {
    let b = &p.backend;
    for (i, payload) in b.payloads.iter().enumerate() {
        let id = i as i64 + 1;
        let stored = b.storable(payload);
        // An escaped payload as a whole LIKE pattern matches that row and its case twin.
        let twins: Vec<i64> = b
            .payloads
            .iter()
            .enumerate()
            .filter(|(_, q)| b.twins(&b.storable(q), &stored))
            .map(|(j, _)| j as i64 + 1)
            .collect();
        let exact = ids(
            &p.sql,
            &Where::cond("s", Condition::Like(like_escape(&stored))),
        )
        .await
        .unwrap();
        assert_eq!(exact, [id], "like {payload:?}");
        let folded = ids(
            &p.sql,
            &Where::cond(
                "s",
                Condition::ILike(like_escape(&stored.to_ascii_uppercase())),
            ),
        )
        .await
        .unwrap();
        assert_eq!(folded, twins, "ilike {payload:?}");
        let anchored = ids(
            &p.sql,
            &Where::cond("s", re(format!("^{}$", regex_escape(&stored)), false)),
        )
        .await
        .unwrap();
        assert_eq!(anchored, [id], "regexp {payload:?}");
        let by_value = ids(&p.sql, &Where::eq("s", stored.clone())).await.unwrap();
        assert_eq!(by_value, [id], "eq {payload:?}");
        if b.refuses_nul() && payload.contains('\0') {
            // No stored text holds a NUL: conditions with one match nothing, and fail nothing.
            for w in [
                Where::eq("s", *payload),
                Where::cond("s", Condition::Like(format!("%{}%", like_escape(payload)))),
                Where::cond("s", re(regex_escape(payload), false)),
            ] {
                assert_eq!(ids(&p.sql, &w).await.unwrap(), Vec::<i64>::new(), "{w:?}");
            }
        }
        let by_bytes = ids(
            &p.sql,
            &Where::eq("buf", Value::Buffer(payload.as_bytes().to_vec())),
        )
        .await
        .unwrap();
        assert_eq!(by_bytes, [id], "buffer {payload:?}");
        let by_json = ids(
            &p.sql,
            &Where::eq("o", Value::Object(loopback::record! {"k" => *payload})),
        )
        .await
        .unwrap();
        assert_eq!(by_json, [id], "object {payload:?}");
    }
    // LIKE wildcards in data are data; in patterns they are wildcards unless escaped.
    let all = ids(&p.sql, &Where::cond("s", Condition::Like("%".into())))
        .await
        .unwrap();
    assert_eq!(all.len(), b.payloads.len());
    let underscores = ids(&p.sql, &Where::cond("s", Condition::Like("%\\_%".into())))
        .await
        .unwrap();
    let expected: Vec<i64> = b
        .payloads
        .iter()
        .enumerate()
        .filter(|(_, q)| q.contains('_'))
        .map(|(j, _)| j as i64 + 1)
        .collect();
    assert_eq!(underscores, expected);
}

pub async fn payloads_as_property_names_are_refused_not_interpolated(p: &Pair) {
    for payload in p.backend.payloads {
        let name = format!("s{payload}");
        let e = ids(&p.sql, &Where::eq(name.clone(), 1)).await.unwrap_err();
        assert_eq!(e.status(), 400, "{name:?}: {e:?}");
        let e = p
            .sql
            .find(
                Filter::new().order_by(name.clone(), loopback::Direction::Asc),
                &Options::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{name:?}: {e:?}");
        // Unknown names in `fields` select nothing; unknown data properties are not stored.
        let rows = p
            .sql
            .find(
                Filter::new().fields([name.clone(), "id".into()]),
                &Options::new(),
            )
            .await
            .unwrap();
        assert!(rows.iter().all(|r| r.keys().eq(["id"].iter())));
        let mut data = Record::new();
        data.insert(name.clone(), *payload);
        data.insert("s", "new");
        let created = p.sql.create(data, &Options::new()).await.unwrap();
        p.sql
            .destroy_by_id(created.get("id").cloned().unwrap(), &Options::new())
            .await
            .unwrap();
    }
    assert_eq!(
        p.sql.count(None, &Options::new()).await.unwrap(),
        p.backend.payloads.len() as u64
    );
}

/// The model `definition` (LB3 JSON, with string properties `na"me` and `sel'ect`) on `db`:
/// every payload stored in all its properties, found by `sel'ect` with its `na"me` intact, and
/// all of it kept by an autoupdate.
pub async fn payloads_in_model_and_column_names_are_quoted(
    b: &Backend,
    db: Arc<dyn Connector>,
    definition: serde_json::Value,
) {
    let record = |v: &str| -> Record {
        let mut r = Record::new();
        for name in definition["properties"].as_object().unwrap().keys() {
            r.insert(name.clone(), v);
        }
        r
    };
    let app = App::new();
    app.data_source("db", db.clone());
    let def = ModelDefinition::from_lb3_json(&definition).unwrap();
    let m = app.define(def, "db").await.unwrap();
    db.automigrate(&[m.definition()]).await.unwrap();
    for payload in b.payloads {
        let created = m.create(record(payload), &Options::new()).await;
        if b.refuses_nul() && payload.contains('\0') {
            assert_eq!(created.unwrap_err().status(), 400, "{payload:?}");
            m.create(record(&b.storable(payload)), &Options::new())
                .await
                .unwrap();
        } else {
            created.unwrap();
        }
    }
    for payload in b.payloads {
        let payload = &b.storable(payload);
        let rows = m
            .find(
                Filter::with_where(Where::eq("sel'ect", payload.as_str())),
                &Options::new(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{payload:?}");
        assert_eq!(rows[0].get("na\"me"), Some(&Value::from(payload.as_str())));
    }
    db.autoupdate(&[m.definition()]).await.unwrap();
    assert_eq!(
        m.count(None, &Options::new()).await.unwrap(),
        b.payloads.len() as u64
    );
}

pub async fn payloads_as_native_statement_parameters(p: &Pair) {
    let b = &p.backend;
    let db = p.sql.data_source().connector().clone();
    for (i, payload) in b.payloads.iter().enumerate() {
        if let NulInText::Refused { statement } = b.nul_in_text {
            if payload.contains('\0') {
                let e = db
                    .execute(statement, &[Value::from(*payload)], &Options::new())
                    .await
                    .unwrap_err();
                assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
                continue;
            }
        }
        let rows = db
            .execute(
                b.native_sql,
                &[
                    Value::from(*payload),
                    Value::from(*payload),
                    Value::from(*payload),
                ],
                &Options::new(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{payload:?}");
        assert_eq!(rows[0].get("id"), Some(&Value::Int(i as i64 + 1)));
        assert_eq!(rows[0].get("s"), Some(&Value::from(*payload)));
    }
}

/// Conditions on the nested property `o.k` (inside the JSON-stored object `o`): each payload as
/// a value finds what the memory connector finds; each payload as a path segment is refused
/// (400) unless it is a plain name, which is then looked up like any other; paths into
/// properties that are not objects are 400 (501 for arrays and points). PostgreSQL cannot
/// read a JSON string holding NUL as text: the rows whose `o.k` has one read as null there,
/// and are left out of the comparison.
pub async fn payloads_in_json_paths(p: &Pair) {
    let b = &p.backend;
    let unreadable: Vec<i64> = b
        .payloads
        .iter()
        .enumerate()
        .filter(|(_, payload)| b.refuses_nul() && payload.contains('\0'))
        .map(|(i, _)| i as i64 + 1)
        .collect();
    let same_but_unreadable = |w: Where| {
        let unreadable = &unreadable;
        async move {
            let keep = |v: Vec<i64>| -> Vec<i64> {
                v.into_iter()
                    .filter(|id| !unreadable.contains(id))
                    .collect()
            };
            let got = ids(&p.sql, &w)
                .await
                .unwrap_or_else(|e| panic!("{}: {w:?}: {e:?}", b.name));
            let mem = ids(&p.memory, &w).await.unwrap();
            assert_eq!(keep(got), keep(mem), "{}: {w:?}", b.name);
        }
    };
    for payload in b.payloads {
        if b.refuses_nul() && payload.contains('\0') {
            continue;
        }
        let v = || Value::from(*payload);
        for op in [
            Condition::Eq(v()),
            Condition::Neq(v()),
            Condition::Gt(v()),
            Condition::Lte(v()),
            Condition::Inq(vec![v(), Value::from("x"), Value::Null]),
            Condition::Nin(vec![v(), Value::from("'")]),
            Condition::Like(format!("%{}%", like_escape(payload))),
            Condition::NLike(format!("%{}%", like_escape(payload))),
            re(regex_escape(payload), false),
        ] {
            same_but_unreadable(Where::cond("o.k", op)).await;
        }
    }
    same_but_unreadable(Where::eq("o.k", Value::Null)).await;
    same_but_unreadable(Where::cond("o.k", Condition::Neq(Value::Null))).await;
    for payload in b.payloads {
        let plain = !payload.is_empty()
            && payload
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        for path in [format!("o.{payload}"), format!("o.k.{payload}")] {
            let w = Where::eq(path.clone(), "x");
            match ids(&p.sql, &w).await {
                Ok(got) if plain => assert_eq!(got, ids(&p.memory, &w).await.unwrap(), "{path:?}"),
                Err(e) if !plain => {
                    assert_eq!(e.status(), 400, "{path:?}: {e:?}");
                    assert!(matches!(e, Error::InvalidFilter { .. }), "{path:?}: {e:?}");
                }
                other => panic!("{}: {path:?}: {other:?}", b.name),
            }
        }
    }
    // Ordering by the path: the memory connector's order (the unreadable rows left out), and
    // each payload as a path segment of an order key refused unless it is a plain name.
    let ordered = |m: &ModelHandle, property: String, direction: loopback::Direction| {
        let m = m.clone();
        async move {
            let filter = Filter::new().order_by(property, direction);
            m.find(filter, &Options::new()).await.map(|rows| {
                rows.iter()
                    .map(|r| r.get("id").and_then(Value::as_i64).unwrap())
                    .collect::<Vec<i64>>()
            })
        }
    };
    for direction in [loopback::Direction::Asc, loopback::Direction::Desc] {
        let keep = |v: Vec<i64>| -> Vec<i64> {
            v.into_iter()
                .filter(|id| !unreadable.contains(id))
                .collect()
        };
        let got = ordered(&p.sql, "o.k".into(), direction).await.unwrap();
        let mem = ordered(&p.memory, "o.k".into(), direction).await.unwrap();
        assert_eq!(keep(got), keep(mem), "{}: order o.k {direction:?}", b.name);
    }
    for payload in b.payloads {
        let plain = !payload.is_empty()
            && payload
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        let path = format!("o.{payload}");
        match ordered(&p.sql, path.clone(), loopback::Direction::Asc).await {
            Ok(got) if plain => assert_eq!(got.len(), b.payloads.len(), "{path:?}"),
            Err(e) if !plain => {
                assert_eq!(e.status(), 400, "{path:?}: {e:?}");
                assert!(matches!(e, Error::InvalidFilter { .. }), "{path:?}: {e:?}");
            }
            other => panic!("{}: order by {path:?}: {other:?}", b.name),
        }
    }
    for root in ["s", "n", "b", "d", "buf"] {
        let e = ids(&p.sql, &Where::eq(format!("{root}.k"), "x"))
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{root}: {e:?}");
    }
    for root in ["arr", "g"] {
        let e = ids(&p.sql, &Where::eq(format!("{root}.k"), "x"))
            .await
            .unwrap_err();
        assert_eq!(e.status(), 501, "{root}: {e:?}");
    }
    assert_eq!(
        p.sql.count(None, &Options::new()).await.unwrap(),
        b.payloads.len() as u64
    );
}
