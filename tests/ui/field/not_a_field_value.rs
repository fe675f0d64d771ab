use loopback::prelude::*;

struct Money(i64);

#[derive(Model)]
struct Book {
    price: Money,
}

fn main() {}
