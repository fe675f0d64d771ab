//! Parsing LoopBack filters from JSON and from the query-string bracket syntax.
//!
//! Run with `cargo bench --bench filter`.
//!
//! One typical filter, in every form a request can carry it: a `where` with three conditions
//! (one `and`, one `or`), an `order`, a `limit` and an `include` with a scope. Measured with and
//! without a model (with one, `where` values are coerced to the declared types), from a parsed
//! `serde_json::Value`, from JSON text, from a `filter={json}` query string and from the bracket
//! form; and printing back to JSON.

use std::hint::black_box;

use criterion::{criterion_main, Criterion};
use loopback::{Filter, ModelDefinition, ParseOptions};

const JSON_TEXT: &str = r#"{
  "where": {
    "and": [
      {"price": {"gte": 10, "lt": 100}},
      {"or": [{"category": "books"}, {"title": {"like": "%rust%"}}]}
    ],
    "published": {"gt": "2014-04-01T18:30:00.000Z"}
  },
  "order": "price DESC, title ASC",
  "limit": 20,
  "include": {"relation": "reviews", "scope": {"where": {"status": {"neq": "hidden"}}, "limit": 5, "order": "stars DESC"}}
}"#;

const QUERY: &str = "filter[where][and][0][price][gte]=10&filter[where][and][0][price][lt]=100\
&filter[where][and][1][or][0][category]=books&filter[where][and][1][or][1][title][like]=%25rust%25\
&filter[where][published][gt]=2014-04-01T18%3A30%3A00.000Z\
&filter[order]=price%20DESC%2C%20title%20ASC&filter[limit]=20\
&filter[include][relation]=reviews&filter[include][scope][where][status][neq]=hidden\
&filter[include][scope][limit]=5&filter[include][scope][order]=stars%20DESC";

fn book() -> ModelDefinition {
    ModelDefinition::from_lb3_str(
        r#"{"name": "Book", "properties": {
            "id": {"type": "number", "id": true}, "title": "string", "category": "string",
            "price": "number", "published": "date"
        }}"#,
    )
    .expect("valid model")
}

fn bench(c: &mut Criterion) {
    let model = book();
    let with_model = ParseOptions::for_model(&model);
    let plain = ParseOptions::default();
    let value: serde_json::Value = serde_json::from_str(JSON_TEXT).expect("valid JSON");
    let json_query = format!("filter={}", value);

    let from_json = Filter::from_json(&value, &with_model).expect("valid filter");
    let from_query = Filter::from_query_string(QUERY, &with_model)
        .expect("valid")
        .expect("present");
    assert_eq!(
        from_json, from_query,
        "both encodings must give the same filter"
    );

    let mut g = c.benchmark_group("filter");
    g.bench_function("from_json/model", |b| {
        b.iter(|| Filter::from_json(black_box(&value), &with_model).unwrap())
    });
    g.bench_function("from_json/no_model", |b| {
        b.iter(|| Filter::from_json(black_box(&value), &plain).unwrap())
    });
    g.bench_function("json_text/model", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(black_box(JSON_TEXT)).unwrap();
            Filter::from_json(&v, &with_model).unwrap()
        })
    });
    g.bench_function("query_string_json/model", |b| {
        b.iter(|| Filter::from_query_string(black_box(&json_query), &with_model).unwrap())
    });
    g.bench_function("query_string_brackets/model", |b| {
        b.iter(|| Filter::from_query_string(black_box(QUERY), &with_model).unwrap())
    });
    g.bench_function("query_string_brackets/no_model", |b| {
        b.iter(|| Filter::from_query_string(black_box(QUERY), &plain).unwrap())
    });
    g.bench_function("to_json", |b| b.iter(|| black_box(&from_json).to_json()));
    g.finish();
}

// What `criterion_group!` expands to, without the undocumented `pub fn` it would add.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
