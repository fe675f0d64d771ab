use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(validate(length(min = 10, max = 3)))]
    title: String,
}

fn main() {}
