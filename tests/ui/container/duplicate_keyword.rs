use loopback::prelude::*;

#[derive(Model)]
#[model(plural = "books", plural = "volumes")]
struct Book {
    title: String,
}

fn main() {}
