use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(default_fn = "shortid")]
    reference: String,
}

fn main() {}
