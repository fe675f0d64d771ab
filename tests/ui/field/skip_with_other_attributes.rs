use loopback::prelude::*;

#[derive(Model)]
struct Book {
    title: String,
    #[model(skip, hidden)]
    cache: Vec<u8>,
}

fn main() {}
