use loopback::prelude::*;

// Every mistake is reported in one build, each on its own token; uses of the type elsewhere add
// no errors of their own.
#[derive(Model)]
#[model(plurall = "books", strict = "sometimes")]
struct Book {
    #[model(hiden)]
    title: String,
    #[model(generated)]
    price: f64,
}

fn main() {
    let _ = Book::definition();
    let _ = Book::title().like("D%");
}
