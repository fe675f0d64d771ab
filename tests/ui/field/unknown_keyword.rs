use loopback::prelude::*;

#[derive(Model)]
struct User {
    #[model(hiden)]
    password: String,
}

fn main() {}
