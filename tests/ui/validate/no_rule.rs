use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(validate(message = "bad title"))]
    title: String,
}

fn main() {}
