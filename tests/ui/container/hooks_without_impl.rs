use loopback::prelude::*;

#[derive(Model)]
#[model(hooks)]
struct Book {
    title: String,
}

fn main() {}
