use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(validate(inclusion()))]
    status: String,
}

fn main() {}
