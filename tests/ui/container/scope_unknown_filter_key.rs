use loopback::prelude::*;

#[derive(Model)]
#[model(scope_named(name = "recent", filter = r#"{"sort": "created DESC"}"#))]
struct Book {
    title: String,
}

fn main() {}
