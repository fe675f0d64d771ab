use loopback::prelude::*;

#[derive(Model)]
#[model(index(name = "title_price", keys("title", "prize DESC")))]
struct Book {
    title: String,
    price: f64,
}

fn main() {}
