use loopback::prelude::*;

#[derive(Model)]
struct Isbn(String);

fn main() {}
