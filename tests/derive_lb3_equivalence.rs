//! A derived struct and the equivalent LoopBack 3 model JSON produce the same
//! `ModelDefinition`, and write back the same LB3 JSON.

use chrono::{DateTime, Utc};
use loopback::prelude::*;
use loopback::ModelDefinition;

#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    name = "Book",
    plural = "books",
    base = "PersistedModel",
    description = "A book in the catalogue",
    strict = true,
    id_injection = false,
    force_id = true,
    replace_on_put = true,
    http_path = "library-books",
    validate_upsert = true,
    postgresql(schema = "library", table = "book"),
    scope = r#"{"order": "title ASC", "limit": 50}"#,
    scope_named(name = "cheap", filter = r#"{"where": {"price": {"lt": 10}}}"#),
    index(name = "title_price", keys("title", "price DESC"), unique),
    acl(principal_type = "ROLE", principal_id = "$everyone", permission = "DENY", access_type = "WRITE"),
    acl(
        principal_type = "ROLE",
        principal_id = "$authenticated",
        permission = "ALLOW",
        access_type = "EXECUTE",
        property = ["create", "upsert"]
    ),
    relation(author, belongs_to = Author, foreign_key = "authorId"),
    relation(
        reviews,
        has_many = Review,
        foreign_key = "bookIsbn",
        scope = r#"{"order": "stars DESC"}"#,
        options(disable_include)
    ),
    relation(readers, has_many = Author, through = Review, key_through = "authorId")
)]
struct Book {
    #[model(id, column = "isbn_code")]
    isbn: String,
    #[model(index(unique), validate(length(min = 1, max = 200)))]
    title: String,
    #[model(description = "Price in euros", validate(numericality))]
    price: f64,
    #[model(default = "draft", validate(inclusion(values = ["draft", "published"]), message = "unknown status"))]
    status: String,
    #[model(default = "$now")]
    created: Option<DateTime<Utc>>,
    #[model(default_fn = "uuidv4")]
    reference: Option<String>,
    #[model(hidden)]
    secret: Option<String>,
    #[model(protected)]
    note: Option<String>,
    author_id: Option<i64>,
    tags: Vec<String>,
    cover: Option<Cover>,
    #[model(default = 0, required)]
    pages: u32,
    #[model(skip)]
    cached_rank: Option<u32>,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Cover {
    url: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    relation(books, has_many = Book, foreign_key = "authorId"),
    relation(emails, embeds_many = Address, property = "addressList", options(validate = false, force_id))
)]
struct Author {
    #[model(id, generated)]
    id: Option<i64>,
    #[model(index, validate(presence), validate(format = "^[A-Z]", allow_blank))]
    name: String,
    #[model(validate(uniqueness(scoped_to = ["realm"], ignore_case), code = "taken"))]
    email: String,
    #[model(validate(exclusion(values = ["www", "admin"]), if = "email"))]
    realm: Option<String>,
    born: Option<i32>,
    address: Option<Address>,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Address {
    street: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    rename_all = "snake_case",
    strict = "filter",
    mysql(table = "book_review"),
    relation(book, belongs_to = Book, foreign_key = "book_isbn"),
    relation(author, belongs_to = Author, foreign_key = "author_id"),
    relation(subject, belongs_to, polymorphic(as = "subject", discriminator = "subjectType"))
)]
struct Review {
    #[model(
        id = 1,
        mysql(column_name = "isbn", data_type = "varchar", data_length = 20)
    )]
    book_isbn: String,
    #[model(id = 2)]
    author_id: i64,
    #[model(validate(numericality(int)))]
    stars: u8,
    #[model(validate(length(max = 2000), message(max = "too long to read"), allow_null))]
    body: Option<String>,
    #[model(default_fn = "now")]
    posted_at: Option<DateTime<Utc>>,
}

fn fixture(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/models/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Compares property by property first, so a mismatch names what differs.
fn assert_equivalent<M: Model>(file: &str) {
    let json = fixture(file);
    let from_json = ModelDefinition::from_lb3_json(&json).unwrap();
    let derived = M::definition();
    assert_eq!(
        derived.properties.keys().collect::<Vec<_>>(),
        from_json.properties.keys().collect::<Vec<_>>(),
        "{file}: property order"
    );
    for (name, p) in &from_json.properties {
        assert_eq!(&derived.properties[name], p, "{file}: property `{name}`");
    }
    for (name, r) in &from_json.relations {
        assert_eq!(
            derived.relations.get(name),
            Some(r),
            "{file}: relation `{name}`"
        );
    }
    assert_eq!(
        derived.validations, from_json.validations,
        "{file}: validations"
    );
    assert_eq!(derived.acls, from_json.acls, "{file}: acls");
    assert_eq!(*derived, from_json, "{file}: whole definition");

    // Writing back: the derived definition prints the JSON the file reads as.
    assert_eq!(
        derived.to_lb3_json(),
        from_json.to_lb3_json(),
        "{file}: LB3 JSON"
    );
    let reread = ModelDefinition::from_lb3_json(&derived.to_lb3_json()).unwrap();
    assert_eq!(
        &reread, &*derived,
        "{file}: derived JSON reads back as the same definition"
    );
}

#[test]
fn book_matches_its_lb3_json() {
    assert_equivalent::<Book>("book");
    // The fixture is written in the canonical form, so it is also what `to_lb3_json` prints.
    assert_eq!(Book::definition().to_lb3_json(), fixture("book"));
}

#[test]
fn author_matches_its_lb3_json() {
    assert_equivalent::<Author>("author");
}

#[test]
fn review_matches_its_lb3_json() {
    assert_equivalent::<Review>("review");
}
