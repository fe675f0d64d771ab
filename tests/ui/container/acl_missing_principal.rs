use loopback::prelude::*;

#[derive(Model)]
#[model(acl(principal_type = "ROLE", permission = "DENY"))]
struct Book {
    title: String,
}

fn main() {}
