//! `find` over 100,000 records in the memory connector.
//!
//! Run with `cargo bench --bench memory_find`.
//!
//! Measures a three-condition query (`price between`, `category inq`, `title like`) ordered by
//! price with `limit 20`, and a lookup by id, both through the operation layer (`App` +
//! `ModelHandle::find`, with its access hook and default-scope handling) and against the
//! connector directly. The rows are inserted once, outside the timed loops.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use loopback::connectors::MemoryConnector;
use loopback::{
    App, Condition, Connector, Direction, Filter, ModelDefinition, Options, Record, Value, Where,
};

const ROWS: i64 = 100_000;
const CATEGORIES: [&str; 10] = [
    "books", "games", "music", "garden", "tools", "toys", "food", "sport", "home", "auto",
];
const ADJECTIVES: [&str; 8] = [
    "compact",
    "improved",
    "classic",
    "pro",
    "deluxe",
    "basic",
    "prototype",
    "smart",
];
const NOUNS: [&str; 8] = [
    "lamp", "chair", "kettle", "guitar", "drill", "puzzle", "novel", "racket",
];

/// A small deterministic generator, so every run measures the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn product_definition() -> ModelDefinition {
    ModelDefinition::from_lb3_json(&serde_json::json!({
        "name": "Product",
        "properties": {
            "title": {"type": "string", "required": true},
            "category": "string",
            "price": "number",
            "rating": "number",
            "inStock": "boolean",
            "createdAt": "date"
        }
    }))
    .expect("valid model")
}

fn product(rng: &mut Lcg, i: i64) -> Record {
    let base = chrono::DateTime::from_timestamp(1_577_836_800, 0).expect("valid date");
    let mut r = Record::with_capacity(7);
    r.insert(
        "title",
        format!(
            "{} {} {}",
            ADJECTIVES[rng.below(ADJECTIVES.len() as u64) as usize],
            NOUNS[rng.below(NOUNS.len() as u64) as usize],
            i
        ),
    );
    r.insert(
        "category",
        CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize],
    );
    r.insert("price", Value::Float(rng.below(100_000) as f64 / 100.0));
    r.insert("rating", Value::Float(rng.below(50) as f64 / 10.0));
    r.insert("inStock", rng.below(4) != 0);
    r.insert(
        "createdAt",
        base + chrono::Duration::minutes(rng.below(2_000_000) as i64),
    );
    r
}

fn three_condition_filter() -> Filter {
    Filter::with_where(Where::And(vec![
        Where::cond(
            "price",
            Condition::Between(Value::Int(100), Value::Int(400)),
        ),
        Where::cond(
            "category",
            Condition::Inq(vec![
                Value::from("books"),
                Value::from("games"),
                Value::from("music"),
            ]),
        ),
        Where::cond("title", Condition::Like("%pro%".into())),
    ]))
    .order_by("price", Direction::Desc)
    .limit(20)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let connector = Arc::new(MemoryConnector::new());
    let app = App::new();
    app.data_source("db", connector.clone());
    let products = rt
        .block_on(app.define(product_definition(), "db"))
        .expect("defined");
    let def = products.definition();
    let opts = Options::new();

    let mut rng = Lcg(42);
    rt.block_on(async {
        for i in 1..=ROWS {
            connector
                .create(&def, product(&mut rng, i), &opts)
                .await
                .expect("inserted");
        }
    });

    let filter = three_condition_filter();
    let expected = rt
        .block_on(connector.find(&def, &filter, &opts))
        .expect("found");
    assert_eq!(expected.len(), 20);
    let matching = rt
        .block_on(connector.count(&def, filter.where_.as_ref(), &opts))
        .expect("counted");
    eprintln!("memory_find: {ROWS} rows, {matching} match the three conditions");

    let mut group = c.benchmark_group("memory_find_100k");
    group.bench_function("op_layer/find_3_conditions_order_limit_20", |b| {
        b.iter(|| {
            let rows = rt
                .block_on(products.find(black_box(filter.clone()), &opts))
                .expect("found");
            assert_eq!(rows.len(), 20);
            rows
        })
    });
    group.bench_function("connector/find_3_conditions_order_limit_20", |b| {
        b.iter(|| {
            rt.block_on(connector.find(&def, black_box(&filter), &opts))
                .expect("found")
        })
    });
    let unordered = Filter {
        order: Vec::new(),
        ..filter.clone()
    };
    group.bench_function("connector/find_3_conditions_limit_20_unordered", |b| {
        b.iter(|| {
            rt.block_on(connector.find(&def, black_box(&unordered), &opts))
                .expect("found")
        })
    });
    group.bench_function("connector/count_3_conditions", |b| {
        b.iter(|| {
            rt.block_on(connector.count(&def, black_box(filter.where_.as_ref()), &opts))
                .expect("counted")
        })
    });

    let mut id = 0i64;
    group.bench_function("op_layer/find_by_id", |b| {
        b.iter(|| {
            id = (id + 7919) % ROWS;
            let row = rt.block_on(products.find_by_id(Value::Int(black_box(id + 1)), None, &opts));
            row.expect("found").expect("present")
        })
    });
    group.bench_function("connector/find_by_id", |b| {
        b.iter(|| {
            id = (id + 7919) % ROWS;
            let f = Filter::with_where(Where::eq("id", black_box(id + 1))).limit(1);
            rt.block_on(connector.find(&def, &f, &opts)).expect("found")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
