use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(validate(length()))]
    title: String,
}

fn main() {}
