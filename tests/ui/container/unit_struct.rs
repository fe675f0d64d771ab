use loopback::prelude::*;

#[derive(Model)]
struct Marker;

fn main() {}
