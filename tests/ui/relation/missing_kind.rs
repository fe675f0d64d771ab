use loopback::prelude::*;

#[derive(Model)]
#[model(relation(author, foreign_key = "authorId"))]
struct Book {
    title: String,
}

fn main() {}
