use loopback::prelude::*;

#[derive(Model)]
struct Author {
    name: String,
}

#[derive(Model)]
#[model(relation(author, belongs_to = Author, has_one = Author))]
struct Book {
    title: String,
}

fn main() {}
