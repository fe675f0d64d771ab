use loopback::prelude::*;

#[derive(Model)]
#[model(acl(principal_type = "ROLE", principal_id = "$everyone", permission = "MAYBE"))]
struct Book {
    title: String,
}

fn main() {}
