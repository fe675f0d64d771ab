use loopback::prelude::*;

#[derive(Model)]
#[model(relation(author, belongs_to = "Author"))]
struct Book {
    title: String,
}

fn main() {}
