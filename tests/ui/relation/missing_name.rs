use loopback::prelude::*;

#[derive(Model)]
struct Author {
    name: String,
}

#[derive(Model)]
#[model(relation(belongs_to = Author))]
struct Book {
    title: String,
}

fn main() {}
