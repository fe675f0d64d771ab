use loopback::prelude::*;

#[derive(Model)]
struct Book {
    author_id: i64,
    #[model(rename = "authorId")]
    writer: i64,
}

fn main() {}
