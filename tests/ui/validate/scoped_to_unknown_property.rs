use loopback::prelude::*;

#[derive(Model)]
struct User {
    #[model(validate(uniqueness(scoped_to = ["tenant"])))]
    email: String,
    realm: String,
}

fn main() {}
