use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(validate(lenght(min = 3)))]
    title: String,
}

fn main() {}
