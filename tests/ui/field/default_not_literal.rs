use loopback::prelude::*;

const DRAFT: &str = "draft";

#[derive(Model)]
struct Book {
    #[model(default = DRAFT)]
    status: String,
}

fn main() {}
