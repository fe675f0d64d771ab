use loopback::prelude::*;

#[derive(Model)]
struct Author {
    name: String,
}

#[derive(Model)]
struct Credit {
    role: String,
}

#[derive(Model)]
#[model(relation(author, belongs_to = Author, through = Credit))]
struct Book {
    title: String,
}

fn main() {}
