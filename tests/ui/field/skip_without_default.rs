use loopback::prelude::*;

struct Handle;

#[derive(Model)]
struct Book {
    title: String,
    #[model(skip)]
    handle: Handle,
}

fn main() {}
