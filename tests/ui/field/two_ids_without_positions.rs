use loopback::prelude::*;

#[derive(Model)]
struct Loan {
    #[model(id)]
    book_id: i64,
    #[model(id)]
    member_id: i64,
}

fn main() {}
