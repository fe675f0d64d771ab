use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(generated)]
    serial: i64,
}

fn main() {}
