use loopback::prelude::*;

#[derive(Model)]
#[model(crate = "my crate")]
struct Book {
    title: String,
}

fn main() {}
