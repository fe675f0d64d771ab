use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(rename = "__proto__")]
    proto: String,
}

fn main() {}
