use loopback::prelude::*;

#[derive(Model)]
#[model(nmae = "Book")]
struct Book {
    title: String,
}

fn main() {}
