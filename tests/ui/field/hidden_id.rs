use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(id, generated, hidden)]
    id: Option<i64>,
}

fn main() {}
