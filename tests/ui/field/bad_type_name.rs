use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(type = "list of strings")]
    tags: Vec<String>,
}

fn main() {}
