use loopback::prelude::*;

#[derive(Model)]
struct Author {
    name: String,
}

#[derive(Model)]
#[model(relation(author, belongsto = Author))]
struct Book {
    title: String,
}

fn main() {}
