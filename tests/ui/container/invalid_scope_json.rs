use loopback::prelude::*;

#[derive(Model)]
#[model(scope = r#"{"order": "title ASC",}"#)]
struct Book {
    title: String,
}

fn main() {}
