use loopback::prelude::*;

#[derive(Model)]
struct Book {
    #[model(rename = "name")]
    #[model(rename = "label")]
    title: String,
}

fn main() {}
