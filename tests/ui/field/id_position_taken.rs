use loopback::prelude::*;

#[derive(Model)]
struct Loan {
    #[model(id = 1)]
    book_id: i64,
    #[model(id = 1)]
    member_id: i64,
}

fn main() {}
