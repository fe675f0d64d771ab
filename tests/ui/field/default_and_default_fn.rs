use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(default = "x", default_fn = "uuidv4")]
    reference: String,
}

fn main() {}
