use loopback::prelude::*;

struct Author {
    name: String,
}

#[derive(Model)]
#[model(relation(author, belongs_to = Author))]
struct Book {
    title: String,
}

fn main() {}
