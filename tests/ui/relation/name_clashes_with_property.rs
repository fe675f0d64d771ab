use loopback::prelude::*;

#[derive(Model)]
struct Author {
    name: String,
}

#[derive(Model)]
#[model(relation(author, belongs_to = Author))]
struct Book {
    title: String,
    author: String,
}

fn main() {}
