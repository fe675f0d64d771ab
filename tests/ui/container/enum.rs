use loopback::prelude::*;

#[derive(Model)]
enum Status {
    Draft,
    Published,
}

fn main() {}
