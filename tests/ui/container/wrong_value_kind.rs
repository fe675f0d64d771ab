use loopback::prelude::*;

#[derive(Model)]
#[model(strict = 3)]
struct Book {
    title: String,
}

fn main() {}
