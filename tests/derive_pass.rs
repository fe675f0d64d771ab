//! `#[derive(Model)]` on valid input: the definitions it builds, the record conversions, the
//! typed column handles, hooks, and a round trip through an `App` with the memory connector.

// Generated code must not add warnings to the user's crate.
#![deny(warnings)]

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use loopback::model::{AclEntry, DefaultValue, IndexDefinition, PropertyIndex};
use loopback::prelude::*;
use loopback::{
    Condition, Error, FieldValue, ModelHooks, PropertyType, RelationKind, Strict, ValidationKind,
    ValidationRule,
};
use serde_json::json;

#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    name = "Book",
    plural = "books",
    base = "PersistedModel",
    description = "A book in the catalogue",
    strict = "filter",
    id_injection = false,
    force_id = false,
    replace_on_put = false,
    http_path = "library-books",
    validate_upsert = true,
    scope = r#"{"order": "title ASC"}"#,
    scope_named(name = "cheap", filter = r#"{"where": {"price": {"lt": 10}}}"#),
    index(name = "title_price", keys("title", "price DESC"), unique),
    acl(principal_type = "ROLE", principal_id = "$everyone", permission = "DENY", access_type = "WRITE", property = "create"),
    acl(principal_type = "ROLE", principal_id = "$authenticated", permission = "ALLOW", property = ["create", "upsert"]),
    relation(author, belongs_to = Author, foreign_key = "authorId"),
    relation(borrowers, has_many = Member, through = Loan, foreign_key = "bookIsbn", key_through = "memberId"),
    relation(cover, embeds_one = Address, property = "coverData", options(validate = false, force_id)),
    postgresql(schema = "library", table = "book")
)]
struct Book {
    #[model(
        id,
        column = "isbn_code",
        postgresql(data_type = "varchar", data_length = 20)
    )]
    isbn: String,
    #[model(
        description = "The title on the cover",
        validate(presence, length(min = 1, max = 200), message = "bad title")
    )]
    title: String,
    #[model(index, validate(numericality))]
    price: f64,
    #[model(default = "draft", validate(inclusion(values = ["draft", "published"])))]
    status: String,
    #[model(default = "$now")]
    created: Option<DateTime<Utc>>,
    #[model(default_fn = "uuidv4")]
    reference: Option<String>,
    #[model(hidden)]
    secret: Option<String>,
    #[model(protected, rename = "internalNote")]
    note: Option<String>,
    author_id: Option<i64>,
    tags: Vec<String>,
    #[model(type = "object")]
    extra: Option<serde_json::Value>,
    #[model(skip)]
    cache: Vec<u8>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(relation(books, has_many = Book, foreign_key = "authorId", scope = r#"{"order": "title ASC"}"#))]
struct Author {
    #[model(id, generated)]
    id: Option<i64>,
    #[model(
        unique,
        validate(length(min = 2), allow_blank),
        validate(format = "^[A-Z]")
    )]
    name: String,
    #[model(required = false)]
    born: i32,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Address {
    street: String,
    city: Option<String>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(relation(books, has_and_belongs_to_many = Book), relation(emails, embeds_many = Email))]
struct Member {
    #[model(id, generated)]
    id: Option<i64>,
    #[model(validate(uniqueness(scoped_to = ["realm"], ignore_case), code = "taken"))]
    email: String,
    realm: Option<String>,
    #[model(validate(exclusion(values = ["www", "admin"]), if = "realm"))]
    domain: Option<String>,
    #[model(validate(custom = "checkAge", message(null = "age is needed")))]
    age: Option<u8>,
    home: Option<Address>,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Email {
    address: String,
}

/// Composite id.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    relation(book, belongs_to = Book, foreign_key = "bookIsbn"),
    relation(member, belongs_to = Member, foreign_key = "memberId")
)]
struct Loan {
    #[model(id = 1)]
    book_isbn: String,
    #[model(id = 2)]
    member_id: i64,
    #[model(validate(length(is = 10), unless = "returned"))]
    due: String,
    returned: bool,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    rename_all = "snake_case",
    relation(imageable, belongs_to, polymorphic(as = "imageable", discriminator = "imageable_type")),
    relation(owner_ref, references_many = Member, polymorphic = "owner"),
    relation("Primary", has_one = Address)
)]
struct Picture {
    #[model(id, generated, default_fn = "uuid")]
    picture_id: Option<String>,
    imageable_type: Option<String>,
    #[model(mysql(column_name = "PIC_URL"), sqlite3(column_name = "pic_url"))]
    pic_url: String,
}

/// Refers to itself, in a field type and in a relation.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(relation(parent, belongs_to = Category, foreign_key = "parentId"))]
struct Category {
    label: String,
    parent_id: Option<i64>,
    children: Vec<Self>,
}

/// No properties at all.
#[derive(Model, Debug, Default, PartialEq)]
#[model(name = "Nothing")]
pub struct Empty {}

/// Only a skipped field.
#[derive(Model, Debug, Default, PartialEq)]
pub struct OnlySkipped {
    /// Kept in memory only.
    #[model(skip)]
    pub memo: String,
}

mod reexport {
    pub use loopback as lb;
}

/// Generated code reaches the crate through the `crate` path.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(crate = "crate::reexport::lb", hooks)]
struct Counter {
    #[model(id, generated)]
    id: Option<i64>,
    label: String,
    #[model(default = 0)]
    hits: i64,
}

static BEFORE_SAVE_CALLS: AtomicUsize = AtomicUsize::new(0);

impl ModelHooks for Counter {
    fn before_save(mut ctx: HookContext) -> BoxFuture<'static, loopback::Result<HookContext>> {
        Box::pin(async move {
            BEFORE_SAVE_CALLS.fetch_add(1, Ordering::SeqCst);
            if let Some(i) = ctx.instance.as_mut() {
                let label = i
                    .get("label")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_uppercase();
                i.insert("label", label);
            }
            Ok(ctx)
        })
    }
}

fn props(m: &loopback::ModelDefinition) -> Vec<&str> {
    m.properties.keys().map(String::as_str).collect()
}

#[test]
fn container_settings() {
    let d = Book::definition();
    assert_eq!(Book::NAME, "Book");
    assert_eq!(d.name, "Book");
    assert_eq!(d.plural.as_deref(), Some("books"));
    assert_eq!(d.base.as_deref(), Some("PersistedModel"));
    assert_eq!(d.description.as_deref(), Some("A book in the catalogue"));
    assert_eq!(d.strict, Some(Strict::Filter));
    assert_eq!(d.id_injection, Some(false));
    assert_eq!(d.force_id, Some(false));
    assert_eq!(d.replace_on_put, Some(false));
    assert_eq!(d.http_path.as_deref(), Some("library-books"));
    assert!(d.validate_upsert());
    assert_eq!(d.scope, Some(json!({"order": "title ASC"})));
    assert_eq!(d.scopes["cheap"], json!({"where": {"price": {"lt": 10}}}));
    assert_eq!(
        d.indexes["title_price"],
        IndexDefinition {
            name: "title_price".into(),
            keys: vec![("title".into(), 1), ("price".into(), -1)],
            unique: true,
            raw: json!({"keys": {"title": 1, "price": -1}, "options": {"unique": true}}),
        }
    );
    assert_eq!(
        d.acls,
        vec![
            AclEntry {
                principal_type: "ROLE".into(),
                principal_id: "$everyone".into(),
                permission: "DENY".into(),
                access_type: "WRITE".into(),
                property: vec!["create".into()],
                extra: Default::default(),
            },
            AclEntry {
                principal_type: "ROLE".into(),
                principal_id: "$authenticated".into(),
                permission: "ALLOW".into(),
                access_type: "*".into(),
                property: vec!["create".into(), "upsert".into()],
                extra: Default::default(),
            },
        ]
    );
    assert_eq!(
        d.connector_settings["postgresql"],
        json!({"schema": "library", "table": "book"})
    );
    assert_eq!(d.hidden, ["secret"]);
    assert_eq!(d.protected, ["internalNote"]);
    // The definition is built once.
    assert!(std::sync::Arc::ptr_eq(&d, &Book::definition()));
}

#[test]
fn properties_follow_fields() {
    let d = Book::definition();
    assert_eq!(
        props(&d),
        [
            "isbn",
            "title",
            "price",
            "status",
            "created",
            "reference",
            "secret",
            "internalNote",
            "authorId",
            "tags",
            "extra"
        ]
    );
    let isbn = &d.properties["isbn"];
    assert_eq!(isbn.ty, PropertyType::String);
    assert_eq!(isbn.id, Some(1));
    assert!(!isbn.generated);
    assert!(
        isbn.required,
        "a non-Option id without `generated` is required"
    );
    assert_eq!(isbn.column_name("postgresql"), Some("isbn_code"));
    assert_eq!(isbn.column_name("mysql"), Some("isbn_code"));
    assert_eq!(isbn.column_name("sqlite3"), Some("isbn_code"));
    assert_eq!(
        isbn.connector_settings["postgresql"],
        json!({"columnName": "isbn_code", "dataType": "varchar", "dataLength": 20})
    );

    let title = &d.properties["title"];
    assert!(title.required);
    assert_eq!(title.description.as_deref(), Some("The title on the cover"));
    assert_eq!(title.index, None);

    let price = &d.properties["price"];
    assert_eq!(price.ty, PropertyType::Number);
    assert_eq!(
        price.index,
        Some(PropertyIndex {
            unique: false,
            raw: json!(true)
        })
    );

    let status = &d.properties["status"];
    assert!(!status.required, "a default makes a field optional");
    assert_eq!(
        status.default,
        Some(DefaultValue::Value(Value::String("draft".into())))
    );

    assert_eq!(d.properties["created"].ty, PropertyType::Date);
    assert_eq!(d.properties["created"].default, Some(DefaultValue::Now));
    assert_eq!(d.properties["reference"].default, Some(DefaultValue::Uuid));
    assert!(d.properties["secret"].hidden);
    assert!(!d.properties["secret"].required);
    assert!(d.properties["internalNote"].protected);
    assert_eq!(d.properties["authorId"].ty, PropertyType::Number);
    assert_eq!(
        d.properties["tags"].ty,
        PropertyType::Array(Box::new(PropertyType::String))
    );
    assert!(d.properties["tags"].required);
    assert_eq!(d.properties["extra"].ty, PropertyType::Object);
    assert!(!d.properties.contains_key("cache"));

    let a = Author::definition();
    assert_eq!(a.properties["id"].id, Some(1));
    assert!(a.properties["id"].generated);
    assert!(!a.properties["id"].required);
    assert_eq!(
        a.properties["name"].index,
        Some(PropertyIndex {
            unique: true,
            raw: json!({"unique": true})
        })
    );
    assert!(
        !a.properties["born"].required,
        "`required = false` overrides the default"
    );

    let m = Member::definition();
    assert_eq!(
        m.properties["home"].ty,
        PropertyType::Model("Address".into())
    );
    assert_eq!(m.properties["age"].ty, PropertyType::Number);

    let l = Loan::definition();
    assert_eq!(l.properties["bookIsbn"].id, Some(1));
    assert_eq!(l.properties["memberId"].id, Some(2));
    assert_eq!(
        l.id_properties()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["bookIsbn", "memberId"]
    );

    let p = Picture::definition();
    assert_eq!(props(&p), ["picture_id", "imageable_type", "pic_url"]);
    assert_eq!(p.properties["picture_id"].default, Some(DefaultValue::Uuid));
    assert_eq!(
        p.properties["pic_url"].column_name("mysql"),
        Some("PIC_URL")
    );
    assert_eq!(
        p.properties["pic_url"].column_name("sqlite3"),
        Some("pic_url")
    );
    assert_eq!(p.properties["pic_url"].column_name("postgresql"), None);
}

#[test]
fn validations_in_field_order() {
    let d = Book::definition();
    let bad_title = |kind| ValidationRule::new("title", kind).with_message("bad title");
    assert_eq!(
        d.validations,
        vec![
            bad_title(ValidationKind::Presence),
            bad_title(ValidationKind::Length {
                min: Some(1),
                max: Some(200),
                is: None
            }),
            ValidationRule::new("price", ValidationKind::Numericality { int: false }),
            ValidationRule::new(
                "status",
                ValidationKind::Inclusion(vec![
                    Value::String("draft".into()),
                    Value::String("published".into())
                ])
            ),
        ]
    );
    let a = Author::definition();
    let mut length = ValidationRule::new(
        "name",
        ValidationKind::Length {
            min: Some(2),
            max: None,
            is: None,
        },
    );
    length.allow_blank = true;
    let format = ValidationRule::new(
        "name",
        ValidationKind::Format {
            with: Some("^[A-Z]".into()),
            without: None,
        },
    );
    assert_eq!(a.validations, vec![length, format]);

    let m = Member::definition();
    let mut unique = ValidationRule::new(
        "email",
        ValidationKind::Uniqueness {
            scoped_to: vec!["realm".into()],
            ignore_case: true,
        },
    );
    unique.code = Some("taken".into());
    let mut exclusion = ValidationRule::new(
        "domain",
        ValidationKind::Exclusion(vec![
            Value::String("www".into()),
            Value::String("admin".into()),
        ]),
    );
    exclusion.if_ = Some("realm".into());
    let mut custom = ValidationRule::new("age", ValidationKind::Custom("checkAge".into()));
    custom.message = Some(json!({"null": "age is needed"}));
    assert_eq!(m.validations, vec![unique, exclusion, custom]);

    let l = Loan::definition();
    let mut is = ValidationRule::new(
        "due",
        ValidationKind::Length {
            min: None,
            max: None,
            is: Some(10),
        },
    );
    is.unless = Some("returned".into());
    assert_eq!(l.validations, vec![is]);
}

#[test]
fn relations_name_their_targets() {
    let d = Book::definition();
    assert_eq!(
        d.relations.keys().collect::<Vec<_>>(),
        ["author", "borrowers", "cover"]
    );
    let author = &d.relations["author"];
    assert_eq!(author.kind, RelationKind::BelongsTo);
    assert_eq!(author.model.as_deref(), Some("Author"));
    assert_eq!(author.foreign_key.as_deref(), Some("authorId"));
    let borrowers = &d.relations["borrowers"];
    assert_eq!(borrowers.kind, RelationKind::HasMany);
    assert_eq!(borrowers.model.as_deref(), Some("Member"));
    assert_eq!(borrowers.through.as_deref(), Some("Loan"));
    assert_eq!(borrowers.key_through.as_deref(), Some("memberId"));
    let cover = &d.relations["cover"];
    assert_eq!(cover.kind, RelationKind::EmbedsOne);
    assert_eq!(cover.property.as_deref(), Some("coverData"));
    assert_eq!(
        serde_json::Value::Object(cover.options.clone()),
        json!({"validate": false, "forceId": true})
    );

    let a = Author::definition();
    assert_eq!(a.relations["books"].kind, RelationKind::HasMany);
    assert_eq!(
        a.relations["books"].scope,
        Some(json!({"order": "title ASC"}))
    );

    let m = Member::definition();
    assert_eq!(m.relations["books"].kind, RelationKind::HasAndBelongsToMany);
    assert_eq!(m.relations["emails"].kind, RelationKind::EmbedsMany);
    assert_eq!(m.relations["emails"].model.as_deref(), Some("Email"));

    let p = Picture::definition();
    assert_eq!(
        p.relations.keys().collect::<Vec<_>>(),
        ["imageable", "owner_ref", "Primary"]
    );
    let imageable = &p.relations["imageable"];
    assert_eq!(imageable.model, None);
    assert_eq!(
        imageable.polymorphic,
        Some(json!({"as": "imageable", "discriminator": "imageable_type"}))
    );
    assert_eq!(p.relations["owner_ref"].kind, RelationKind::ReferencesMany);
    assert_eq!(p.relations["owner_ref"].polymorphic, Some(json!("owner")));
    assert_eq!(p.relations["Primary"].kind, RelationKind::HasOne);
}

fn sample_book() -> Book {
    Book {
        isbn: "978-0441013593".into(),
        title: "Dune".into(),
        price: 9.5,
        status: "published".into(),
        created: Some(Utc.with_ymd_and_hms(2020, 1, 2, 3, 4, 5).unwrap()),
        reference: None,
        secret: Some("s3cret".into()),
        note: None,
        author_id: Some(7),
        tags: vec!["sf".into(), "classic".into()],
        extra: Some(json!({"pages": 412})),
        cache: vec![1, 2, 3],
    }
}

#[test]
fn to_record_uses_wire_names() {
    let r = sample_book().to_record();
    assert_eq!(
        r.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        // `reference` is None and has a default: left out so the data source fills it.
        [
            "isbn",
            "title",
            "price",
            "status",
            "created",
            "secret",
            "internalNote",
            "authorId",
            "tags",
            "extra"
        ]
    );
    assert_eq!(r.get("internalNote"), Some(&Value::Null));
    assert_eq!(r.get("authorId"), Some(&Value::Int(7)));
    assert_eq!(
        r.get("tags"),
        Some(&Value::Array(vec!["sf".into(), "classic".into()]))
    );
    assert!(matches!(r.get("created"), Some(Value::Date(_))));

    // A generated id that is not set yet is omitted.
    let a = Author {
        id: None,
        name: "Frank".into(),
        born: 1920,
    };
    assert_eq!(a.to_record(), record! {"name" => "Frank", "born" => 1920});
    let a = Author { id: Some(3), ..a };
    assert_eq!(a.to_record().get("id"), Some(&Value::Int(3)));
}

#[test]
fn from_record_round_trips() {
    let b = sample_book();
    let back = Book::from_record(b.to_record()).unwrap();
    assert_eq!(
        back,
        Book {
            cache: Vec::new(),
            ..b
        },
        "skipped fields come back as Default"
    );

    let m = Member {
        id: Some(1),
        email: "a@b.c".into(),
        realm: None,
        domain: Some("x".into()),
        age: Some(40),
        home: Some(Address {
            street: "Main St".into(),
            city: None,
        }),
    };
    let r = m.to_record();
    assert_eq!(
        r.get("home"),
        Some(&Value::Object(
            record! {"street" => "Main St", "city" => Value::Null}
        ))
    );
    assert_eq!(Member::from_record(r).unwrap(), m);

    // Unknown keys are ignored; missing Option fields are None.
    let e = Email::from_record(record! {"address" => "x@y.z", "other" => 1}).unwrap();
    assert_eq!(e.address, "x@y.z");
    let addr = Address::from_record(record! {"street" => "High St"}).unwrap();
    assert_eq!(
        addr,
        Address {
            street: "High St".into(),
            city: None
        }
    );
}

#[test]
fn from_record_errors_name_the_property() {
    let err = Address::from_record(record! {"city" => "Paris"}).unwrap_err();
    assert_eq!(err.to_string(), "Address.street: is missing");
    let err = Author::from_record(record! {"name" => "Frank", "born" => "soon"}).unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }));
    assert_eq!(
        err.to_string(),
        "Author.born: expected an integer, found string"
    );
    let err = Member::from_record(record! {"email" => "e", "home" => record! {"street" => 5}})
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Member.home: Address.street: expected a string"),
        "{err}"
    );
    let err = Address::from_value(Value::Int(1)).unwrap_err();
    assert_eq!(err, "expected an object, found number");
}

#[test]
fn missing_fields_with_defaults_take_them() {
    let b = Book::from_record(record! {
        "isbn" => "1", "title" => "T", "price" => 1.0, "tags" => Vec::<Value>::new()
    })
    .unwrap();
    assert_eq!(
        b.status, "draft",
        "a missing non-Option field takes its default"
    );
    assert_eq!(
        b.created, None,
        "a missing Option field is None, default or not"
    );
    assert_eq!(b.reference, None);
    let c = Counter::from_record(record! {"label" => "x"}).unwrap();
    assert_eq!(c.hits, 0);
}

#[test]
fn self_referencing_models() {
    let d = Category::definition();
    assert_eq!(d.relations["parent"].model.as_deref(), Some("Category"));
    assert_eq!(
        d.properties["children"].ty,
        PropertyType::Array(Box::new(PropertyType::Model("Category".into())))
    );
    let tree = Category {
        label: "root".into(),
        parent_id: None,
        children: vec![Category {
            label: "leaf".into(),
            parent_id: Some(1),
            children: vec![],
        }],
    };
    assert_eq!(Category::from_record(tree.to_record()).unwrap(), tree);
}

#[test]
fn models_without_properties() {
    assert_eq!(Empty::NAME, "Nothing");
    assert!(Empty::definition().properties.is_empty());
    assert_eq!(Empty::from_record(record! {"x" => 1}).unwrap(), Empty {});
    assert!(Empty {}.to_record().is_empty());
    let o = OnlySkipped { memo: "m".into() };
    assert!(o.to_record().is_empty());
    assert_eq!(
        OnlySkipped::from_record(Record::new()).unwrap(),
        OnlySkipped::default()
    );
}

#[test]
fn nested_models_are_field_values() {
    assert_eq!(
        Address::property_type(),
        PropertyType::Model("Address".into())
    );
    let a = Address {
        street: "s".into(),
        city: Some("c".into()),
    };
    assert_eq!(Address::from_value(a.to_value()).unwrap(), a);
}

#[test]
fn column_handles_build_conditions() {
    assert_eq!(
        Book::price().lt(10.0),
        Where::Cond {
            property: "price".into(),
            op: Condition::Lt(Value::Float(10.0))
        }
    );
    assert_eq!(Book::note().name(), "internalNote");
    assert_eq!(
        Book::author_id().eq(7),
        Where::Cond {
            property: "authorId".into(),
            op: Condition::Eq(Value::Int(7))
        }
    );
    assert_eq!(
        Book::title().like("D%"),
        Where::Cond {
            property: "title".into(),
            op: Condition::Like("D%".into())
        }
    );
    assert_eq!(
        Book::secret().is_null(),
        Where::Cond {
            property: "secret".into(),
            op: Condition::Eq(Value::Null)
        }
    );
    assert_eq!(Picture::pic_url().name(), "pic_url");
    let order = Book::price().desc();
    assert_eq!(order.property, "price");
    assert_eq!(order.direction, Direction::Desc);
    // Handles are const: usable in constants.
    const TITLE: loopback::Column<Book, String> = Book::title();
    assert_eq!(TITLE.name(), "title");
}

#[cfg(feature = "memory")]
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[cfg(feature = "memory")]
#[test]
fn create_and_find_through_the_memory_connector() {
    block_on(async {
        let app = App::new();
        app.data_source("db", loopback::connectors::memory());
        let authors = app.register::<Author>("db").await?;
        let frank = authors
            .create(&Author {
                id: None,
                name: "Frank".into(),
                born: 1920,
            })
            .await?;
        assert!(frank.id.is_some(), "the data source generated the id");
        authors
            .create(&Author {
                id: None,
                name: "Ursula".into(),
                born: 1929,
            })
            .await?;

        let found = authors
            .find(Filter::with_where(Author::born().lt(1925)))
            .await?;
        assert_eq!(found, vec![frank.clone()]);
        let by_id = authors.find_by_id(frank.id.unwrap()).await?;
        assert_eq!(by_id.as_ref(), Some(&frank));
        let ordered = authors
            .find(Filter::new().order_by("name", Direction::Desc))
            .await?;
        assert_eq!(
            ordered.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
            ["Ursula", "Frank"]
        );

        // Declared validations run: `name` must start with a capital letter.
        let err = authors
            .create(&Author {
                id: None,
                name: "nobody".into(),
                born: 2000,
            })
            .await
            .unwrap_err();
        assert_eq!(err.status(), 422);

        let books = app.register::<Book>("db").await?;
        let created = books.create(&sample_book()).await?;
        assert_eq!(created.status, "published");
        assert!(created.reference.is_some(), "defaultFn filled on create");
        let cheap = books
            .find(Filter::with_where(Book::price().lt(10.0)))
            .await?;
        assert_eq!(cheap.len(), 1);
        assert_eq!(cheap[0].title, "Dune");
        Ok::<(), Error>(())
    })
    .unwrap();
}

#[cfg(feature = "memory")]
#[test]
fn hooks_are_registered() {
    block_on(async {
        let app = App::new();
        app.data_source("db", loopback::connectors::memory());
        let counters = app.register::<Counter>("db").await?;
        let before = BEFORE_SAVE_CALLS.load(Ordering::SeqCst);
        let c = counters
            .create(&Counter {
                id: None,
                label: "clicks".into(),
                hits: 1,
            })
            .await?;
        assert_eq!(c.label, "CLICKS");
        assert!(BEFORE_SAVE_CALLS.load(Ordering::SeqCst) > before);
        Ok::<(), Error>(())
    })
    .unwrap();
}

#[cfg(feature = "memory")]
#[test]
fn static_acls_are_compiled_when_the_model_is_defined() {
    use loopback::auth::{AccessType, AclRule, Permission, PrincipalType};
    block_on(async {
        let app = App::new();
        app.data_source("db", loopback::connectors::memory());
        app.register::<Author>("db").await?;
        app.register::<Book>("db").await?;
        let book = app.model("Book").expect("Book is registered");
        let rule = |property: &[&str], access_type, permission, role: &str| AclRule {
            model: "Book".into(),
            property: property.iter().map(|p| p.to_string()).collect(),
            access_type,
            permission,
            principal_type: PrincipalType::Role,
            principal_id: role.into(),
        };
        // The `acl(...)` attributes, in order, typed: an omitted access type is `*`.
        assert_eq!(
            book.static_acl(),
            [
                rule(
                    &["create"],
                    AccessType::Write,
                    Permission::Deny,
                    "$everyone"
                ),
                rule(
                    &["create", "upsert"],
                    AccessType::All,
                    Permission::Allow,
                    "$authenticated"
                ),
            ]
        );
        // A model without ACLs has an empty table.
        assert!(app.model("Author").unwrap().static_acl().is_empty());
        Ok::<(), Error>(())
    })
    .unwrap();
}
