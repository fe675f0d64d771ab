use loopback::prelude::*;

#[derive(Model)]
struct Author {
    name: String,
}

// The property is `writer` and the relation `author`, but both would generate
// `Book::author()`: the column handle of the field and the relation accessor.
#[derive(Model)]
#[model(relation(author, belongs_to = Author))]
struct Book {
    title: String,
    #[model(rename = "writer")]
    author: String,
}

// Written as a string, the relation keeps its name and gets no accessor: this compiles.
#[derive(Model)]
#[model(relation("author", belongs_to = Author))]
struct Magazine {
    title: String,
    #[model(rename = "writer")]
    author: String,
}

fn main() {
    let _: loopback::Column<Magazine, String> = Magazine::author();
}
