use loopback::prelude::*;

#[derive(Model)]
#[model = "Book"]
struct Book {
    title: String,
}

fn main() {}
