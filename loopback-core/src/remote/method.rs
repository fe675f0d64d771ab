//! Remote method descriptors: LB3's `Model.remoteMethod(name, {accepts, returns, http, …})`
//! options and the `methods` key of a model JSON file, as typed values.

use std::fmt;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

/// The type of an argument or a return value (LB3's `type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgType {
    /// `any`: taken as it comes.
    Any,
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `integer` (a number that is a safe integer).
    Integer,
    /// `boolean`.
    Boolean,
    /// `date`.
    Date,
    /// `object`.
    Object,
    /// `buffer`.
    Buffer,
    /// `file` (returns only: the raw response body).
    File,
    /// `[type]`; LB3's `array` is `[any]`.
    Array(Box<ArgType>),
    /// A model name (converted as an object; published as that model, hidden properties
    /// removed, when returned).
    Model(String),
}

impl ArgType {
    /// Reads LB3's `type`: a name (`"number"`, `"[string]"`, `"Book"`), or an array of one
    /// type (`["string"]`). Built-in names are case-insensitive, as in strong-remoting.
    pub fn from_lb3(json: &Json) -> Result<ArgType> {
        match json {
            Json::String(s) => Ok(ArgType::parse(s)),
            Json::Array(items) => match items.as_slice() {
                [] => Ok(ArgType::Array(Box::new(ArgType::Any))),
                [one] => Ok(ArgType::Array(Box::new(ArgType::from_lb3(one)?))),
                _ => Err(Error::bad_request(
                    "an array type must name one element type",
                )),
            },
            Json::Null => Ok(ArgType::Any),
            other => Err(Error::bad_request(format!(
                "`type` must be a string or an array of one type, not {other}"
            ))),
        }
    }

    /// Parses a type name (`"number"`, `"[string]"`, `"array"`, `"Book"`).
    pub fn parse(name: &str) -> ArgType {
        let name = name.trim();
        if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            return ArgType::Array(Box::new(if inner.trim().is_empty() {
                ArgType::Any
            } else {
                ArgType::parse(inner)
            }));
        }
        match name.to_ascii_lowercase().as_str() {
            "" | "any" => ArgType::Any,
            "string" => ArgType::String,
            "number" => ArgType::Number,
            "integer" => ArgType::Integer,
            "boolean" => ArgType::Boolean,
            "date" => ArgType::Date,
            "object" => ArgType::Object,
            "buffer" => ArgType::Buffer,
            "file" => ArgType::File,
            "array" => ArgType::Array(Box::new(ArgType::Any)),
            _ => ArgType::Model(name.to_owned()),
        }
    }
}

impl fmt::Display for ArgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgType::Any => f.write_str("any"),
            ArgType::String => f.write_str("string"),
            ArgType::Number => f.write_str("number"),
            ArgType::Integer => f.write_str("integer"),
            ArgType::Boolean => f.write_str("boolean"),
            ArgType::Date => f.write_str("date"),
            ArgType::Object => f.write_str("object"),
            ArgType::Buffer => f.write_str("buffer"),
            ArgType::File => f.write_str("file"),
            ArgType::Array(inner) => write!(f, "[{inner}]"),
            ArgType::Model(name) => f.write_str(name),
        }
    }
}

/// Where an argument is read from in an HTTP request (LB3's `http.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSource {
    /// The whole request body.
    Body,
    /// A key of the body (`form`, `formData`).
    Form,
    /// A query-string parameter.
    Query,
    /// A path parameter (`:name` in the route path).
    Path,
    /// A request header.
    Header,
    /// The request itself: the handler reads it from
    /// [`RemoteInvocation::request`](super::RemoteInvocation::request); the argument is unset.
    Req,
    /// The response (`res`): not an argument value in Rust; the argument is unset.
    Res,
    /// The remoting context: as [`ArgSource::Req`].
    Context,
    /// LB3's `optionsFromRequest`: the invocation's options as an object.
    OptionsFromRequest,
}

impl ArgSource {
    fn parse(s: &str) -> Option<ArgSource> {
        Some(match s {
            "body" => ArgSource::Body,
            "form" | "formData" => ArgSource::Form,
            "query" => ArgSource::Query,
            "path" => ArgSource::Path,
            "header" => ArgSource::Header,
            "req" => ArgSource::Req,
            "res" => ArgSource::Res,
            "context" => ArgSource::Context,
            _ => return None,
        })
    }

    /// LB3's name of the source.
    pub fn as_str(self) -> &'static str {
        match self {
            ArgSource::Body => "body",
            ArgSource::Form => "form",
            ArgSource::Query => "query",
            ArgSource::Path => "path",
            ArgSource::Header => "header",
            ArgSource::Req => "req",
            ArgSource::Res => "res",
            ArgSource::Context => "context",
            ArgSource::OptionsFromRequest => "optionsFromRequest",
        }
    }
}

/// One input argument (an `accepts` item).
#[derive(Debug, Clone, PartialEq)]
pub struct Accept {
    /// The argument name.
    pub arg: String,
    /// Its type.
    pub ty: ArgType,
    /// Whether a call without it (or with `null` or `""`) is a 400.
    pub required: bool,
    /// Where it comes from; `None` looks in the path parameters, then the body, then the
    /// query string, then the headers.
    pub source: Option<ArgSource>,
    /// Text for the API documentation.
    pub description: Option<String>,
    /// A value for the API explorer's form only; never passed to the method.
    pub default: Option<Json>,
}

impl Accept {
    /// An optional argument `arg` of type `ty`, found by name.
    pub fn new(arg: impl Into<String>, ty: ArgType) -> Self {
        Accept {
            arg: arg.into(),
            ty,
            required: false,
            source: None,
            description: None,
            default: None,
        }
    }

    /// Makes the argument required.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Reads the argument from `source`.
    #[must_use]
    pub fn source(mut self, source: ArgSource) -> Self {
        self.source = Some(source);
        self
    }

    /// Sets the documentation text.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    fn from_lb3(json: &Json, at: &str) -> Result<Accept> {
        let o = json
            .as_object()
            .ok_or_else(|| Error::definition(at, "an argument must be an object"))?;
        let arg = match o.get("arg").or_else(|| o.get("name")) {
            Some(Json::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(Error::definition(at, "an argument needs a non-empty `arg`")),
        };
        let ty = ArgType::from_lb3(o.get("type").unwrap_or(&Json::Null))
            .map_err(|e| Error::definition(format!("{at}.type"), e.to_string()))?;
        let required = o.get("required").and_then(Json::as_bool).unwrap_or(false);
        let source = match o.get("http") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s == "optionsFromRequest" => {
                Some(ArgSource::OptionsFromRequest)
            }
            Some(Json::Object(h)) => match h.get("source") {
                None => None,
                Some(Json::String(s)) => Some(ArgSource::parse(s).ok_or_else(|| {
                    Error::definition(
                        format!("{at}.http.source"),
                        format!("unknown source `{s}`"),
                    )
                })?),
                Some(_) => {
                    return Err(Error::definition(
                        format!("{at}.http.source"),
                        "`source` must be a string",
                    ))
                }
            },
            Some(_) => {
                return Err(Error::definition(
                    format!("{at}.http"),
                    "`http` must be an object with `source` (mapping functions exist only in JavaScript)",
                ))
            }
        };
        Ok(Accept {
            arg,
            ty,
            required,
            source,
            description: doc_text(o.get("description")),
            default: o.get("default").cloned(),
        })
    }
}

/// Where a return value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnTarget {
    /// Into the body (the default).
    Body,
    /// It is the response status.
    Status,
    /// It is the value of this response header.
    Header(String),
}

/// One return value (a `returns` item).
#[derive(Debug, Clone, PartialEq)]
pub struct Returns {
    /// Its key in the response object; `None` with `root`.
    pub arg: Option<String>,
    /// Its type.
    pub ty: ArgType,
    /// Whether the value is the whole response body.
    pub root: bool,
    /// Where it goes.
    pub target: ReturnTarget,
    /// Text for the API documentation.
    pub description: Option<String>,
}

impl Returns {
    /// A value returned under the key `arg`.
    pub fn new(arg: impl Into<String>, ty: ArgType) -> Self {
        Returns {
            arg: Some(arg.into()),
            ty,
            root: false,
            target: ReturnTarget::Body,
            description: None,
        }
    }

    /// A value that is the whole response body.
    pub fn root(ty: ArgType) -> Self {
        Returns {
            arg: None,
            ty,
            root: true,
            target: ReturnTarget::Body,
            description: None,
        }
    }

    /// Sends the value as the response header `name` instead of in the body.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.target = ReturnTarget::Header(name.into());
        self
    }

    /// Uses the value as the response status instead of sending it.
    #[must_use]
    pub fn status(mut self) -> Self {
        self.target = ReturnTarget::Status;
        self
    }

    /// Sets the documentation text.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    fn from_lb3(json: &Json, at: &str) -> Result<Returns> {
        let o = json
            .as_object()
            .ok_or_else(|| Error::definition(at, "a return value must be an object"))?;
        let arg = match o.get("arg").or_else(|| o.get("name")) {
            Some(Json::String(s)) if !s.is_empty() => Some(s.clone()),
            None | Some(Json::Null) => None,
            Some(_) => return Err(Error::definition(at, "`arg` must be a string")),
        };
        let root = o.get("root").and_then(Json::as_bool).unwrap_or(false);
        let ty = ArgType::from_lb3(o.get("type").unwrap_or(&Json::Null))
            .map_err(|e| Error::definition(format!("{at}.type"), e.to_string()))?;
        let target = match o
            .get("http")
            .and_then(|h| h.get("target"))
            .and_then(Json::as_str)
        {
            Some("status") => ReturnTarget::Status,
            Some("header") => {
                let name = o
                    .get("http")
                    .and_then(|h| h.get("header"))
                    .and_then(Json::as_str)
                    .map(str::to_owned)
                    .or_else(|| arg.clone())
                    .ok_or_else(|| {
                        Error::definition(at, "a header return needs `arg` or `http.header`")
                    })?;
                ReturnTarget::Header(name)
            }
            _ => ReturnTarget::Body,
        };
        if !root && arg.is_none() && target == ReturnTarget::Body {
            return Err(Error::definition(
                at,
                "a return value needs `arg` unless it is `root`",
            ));
        }
        Ok(Returns {
            arg,
            ty,
            root,
            target,
            description: doc_text(o.get("description")),
        })
    }
}

/// An HTTP verb of a remote method route (LB3's `http.verb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpVerb {
    /// `get`.
    Get,
    /// `head`.
    Head,
    /// `post`.
    Post,
    /// `put`.
    Put,
    /// `patch`.
    Patch,
    /// `delete` (`del`).
    Delete,
    /// `all`: every verb (the default when no verb is given; documented as `POST`).
    All,
}

impl HttpVerb {
    /// Parses LB3's verb (case-insensitive; `del` is `delete`).
    pub fn parse(s: &str) -> Option<HttpVerb> {
        Some(match s.to_ascii_lowercase().as_str() {
            "get" => HttpVerb::Get,
            "head" => HttpVerb::Head,
            "post" => HttpVerb::Post,
            "put" => HttpVerb::Put,
            "patch" => HttpVerb::Patch,
            "delete" | "del" => HttpVerb::Delete,
            "all" => HttpVerb::All,
            _ => return None,
        })
    }

    /// The upper-case name (`GET`; `ALL` for every verb).
    pub fn upper(self) -> &'static str {
        match self {
            HttpVerb::Get => "GET",
            HttpVerb::Head => "HEAD",
            HttpVerb::Post => "POST",
            HttpVerb::Put => "PUT",
            HttpVerb::Patch => "PATCH",
            HttpVerb::Delete => "DELETE",
            HttpVerb::All => "ALL",
        }
    }

    /// The lower-case name as strong-remoting sorts routes by it.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpVerb::Get => "get",
            HttpVerb::Head => "head",
            HttpVerb::Post => "post",
            HttpVerb::Put => "put",
            HttpVerb::Patch => "patch",
            HttpVerb::Delete => "delete",
            HttpVerb::All => "all",
        }
    }
}

/// One route of a remote method: a verb and a path relative to the model (instance methods:
/// relative to `/:id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// The verb.
    pub verb: HttpVerb,
    /// The path, starting with `/`; `:name` segments are path parameters.
    pub path: String,
}

pub use crate::auth::acl::AccessType;

/// A remote method: its name, arguments, return values and routes. Build one with
/// [`RemoteMethod::new`] and the builder methods, or read LB3's JSON with
/// [`RemoteMethod::from_lb3_json`].
///
/// ```
/// use loopback_core::remote::{Accept, ArgType, HttpVerb, RemoteMethod, Returns};
///
/// let greet = RemoteMethod::new("greet")
///     .accepts(Accept::new("msg", ArgType::String).required())
///     .returns(Returns::new("greeting", ArgType::String))
///     .http(HttpVerb::Get, "/sayhi");
/// assert!(greet.is_static);
/// assert_eq!(greet.routes()[0].path, "/sayhi");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteMethod {
    /// The name, without `prototype.`.
    pub name: String,
    /// Static (`Model.name`) or instance (`Model.prototype.name`, under `/:id`).
    pub is_static: bool,
    /// The input arguments, in order.
    pub accepts: Vec<Accept>,
    /// The return values, in order.
    pub returns: Vec<Returns>,
    /// The routes; empty means one route, `all` verbs at `/<name>`.
    pub http: Vec<HttpRoute>,
    /// The status of a successful answer (default 200, or 204 without a body).
    pub status: Option<u16>,
    /// The status of an error that carries none of its own.
    pub error_status: Option<u16>,
    /// Text for the API documentation.
    pub description: Option<String>,
    /// More documentation text.
    pub notes: Option<String>,
    /// The access type ACLs see (default: `READ` for a single `GET`/`HEAD` route, else
    /// `EXECUTE`).
    pub access_type: Option<AccessType>,
    /// Other names the method answers to (in ACLs and when disabling it).
    pub aliases: Vec<String>,
    /// Whether the API documentation lists it.
    pub documented: bool,
    /// Whether it is exposed over REST at all (`shared`/`public`).
    pub shared: bool,
    /// The token scopes that may call it (`accessScopes`; empty means `DEFAULT`): a token
    /// sharing none of them is denied before any ACL is read.
    pub access_scopes: Vec<String>,
}

impl RemoteMethod {
    /// A method named `name`: static, or an instance method when the name starts with
    /// `prototype.` (which is removed from [`RemoteMethod::name`]).
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let (name, is_static) = match name.strip_prefix("prototype.") {
            Some(n) => (n.to_owned(), false),
            None => (name, true),
        };
        RemoteMethod {
            name,
            is_static,
            accepts: Vec::new(),
            returns: Vec::new(),
            http: Vec::new(),
            status: None,
            error_status: None,
            description: None,
            notes: None,
            access_type: None,
            aliases: Vec::new(),
            documented: true,
            shared: true,
            access_scopes: Vec::new(),
        }
    }

    /// Adds an input argument.
    #[must_use]
    pub fn accepts(mut self, accept: Accept) -> Self {
        self.accepts.push(accept);
        self
    }

    /// Adds a return value.
    #[must_use]
    pub fn returns(mut self, returns: Returns) -> Self {
        self.returns.push(returns);
        self
    }

    /// Adds a route (the first replaces the default `all /<name>`).
    #[must_use]
    pub fn http(mut self, verb: HttpVerb, path: impl Into<String>) -> Self {
        let path = path.into();
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        self.http.push(HttpRoute { verb, path });
        self
    }

    /// The status of a successful answer.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The status of an error that has none of its own.
    #[must_use]
    pub fn error_status(mut self, status: u16) -> Self {
        self.error_status = Some(status);
        self
    }

    /// Sets the documentation text.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The name hooks, ACLs and `disable_remote_method_by_name` use: `greet` or
    /// `prototype.greet`.
    pub fn string_name(&self) -> String {
        if self.is_static {
            self.name.clone()
        } else {
            format!("prototype.{}", self.name)
        }
    }

    /// Whether `name` (`greet`, `prototype.greet`, or an alias in either form) names this
    /// method.
    pub fn answers_to(&self, name: &str) -> bool {
        let (bare, is_static) = match name.strip_prefix("prototype.") {
            Some(n) => (n, false),
            None => (name, true),
        };
        is_static == self.is_static && (bare == self.name || self.aliases.iter().any(|a| a == bare))
    }

    /// The routes: the declared ones, or `all /<name>`.
    pub fn routes(&self) -> Vec<HttpRoute> {
        if self.http.is_empty() {
            vec![HttpRoute {
                verb: HttpVerb::All,
                path: format!("/{}", self.name),
            }]
        } else {
            self.http.clone()
        }
    }

    /// The access type ACLs see: the declared one, `READ` for a single `GET`/`HEAD` route,
    /// else `EXECUTE`.
    pub fn effective_access_type(&self) -> AccessType {
        if let Some(t) = self.access_type {
            return t;
        }
        match self.http.as_slice() {
            [one] if matches!(one.verb, HttpVerb::Get | HttpVerb::Head) => AccessType::Read,
            _ => AccessType::Execute,
        }
    }

    /// Reads one entry of a model JSON's `methods` key: `name` as the key (`greet`,
    /// `prototype.greet`) and its options (`accepts`, `returns`, `http`, `isStatic`, …).
    pub fn from_lb3_json(name: &str, json: &Json) -> Result<RemoteMethod> {
        let at = format!("methods.{name}");
        let empty = Map::new();
        let o = match json {
            Json::Object(o) => o,
            Json::Null => &empty,
            _ => {
                return Err(Error::definition(
                    &at,
                    "a method's options must be an object",
                ))
            }
        };
        let mut m = RemoteMethod::new(name);
        if let Some(s) = o.get("isStatic") {
            let s = s
                .as_bool()
                .ok_or_else(|| Error::definition(format!("{at}.isStatic"), "must be a boolean"))?;
            m.is_static = s;
            m.name = name.strip_prefix("prototype.").unwrap_or(name).to_owned();
        }
        if m.name.is_empty() || m.name.contains(['/', ' ']) {
            return Err(Error::definition(&at, "invalid method name"));
        }
        for (i, a) in one_or_many(o.get("accepts")).iter().enumerate() {
            m.accepts
                .push(Accept::from_lb3(a, &format!("{at}.accepts[{i}]"))?);
        }
        for (i, r) in one_or_many(o.get("returns")).iter().enumerate() {
            m.returns
                .push(Returns::from_lb3(r, &format!("{at}.returns[{i}]"))?);
        }
        for (i, h) in one_or_many(o.get("http")).iter().enumerate() {
            let hat = format!("{at}.http[{i}]");
            let h = h
                .as_object()
                .ok_or_else(|| Error::definition(&hat, "`http` must be an object"))?;
            let verb = match h.get("verb") {
                None | Some(Json::Null) => HttpVerb::All,
                Some(Json::String(v)) => HttpVerb::parse(v).ok_or_else(|| {
                    Error::definition(format!("{hat}.verb"), format!("unknown verb `{v}`"))
                })?,
                Some(_) => {
                    return Err(Error::definition(format!("{hat}.verb"), "must be a string"))
                }
            };
            let path = match h.get("path") {
                None | Some(Json::Null) => format!("/{}", m.name),
                Some(Json::String(p)) if p.starts_with('/') => p.clone(),
                Some(Json::String(p)) => format!("/{p}"),
                Some(_) => {
                    return Err(Error::definition(format!("{hat}.path"), "must be a string"))
                }
            };
            let status = |key: &str| -> Result<Option<u16>> {
                match h.get(key) {
                    None | Some(Json::Null) => Ok(None),
                    Some(v) => v
                        .as_u64()
                        .filter(|s| (100..=599).contains(s))
                        .map(|s| Some(s as u16))
                        .ok_or_else(|| {
                            Error::definition(
                                format!("{hat}.{key}"),
                                "must be an HTTP status (100-599)",
                            )
                        }),
                }
            };
            if let Some(s) = status("status")? {
                m.status = Some(s);
            }
            if let Some(s) = status("errorStatus")? {
                m.error_status = Some(s);
            }
            m.http.push(HttpRoute { verb, path });
        }
        // An `http` object with only a status keeps the default route.
        if m.http.len() == 1
            && o.get("http")
                .and_then(Json::as_object)
                .is_some_and(|h| !h.contains_key("verb") && !h.contains_key("path"))
        {
            m.http.clear();
        }
        m.description = doc_text(o.get("description"));
        m.notes = doc_text(o.get("notes"));
        if let Some(t) = o.get("accessType") {
            m.access_type = Some(
                t.as_str()
                    .and_then(AccessType::parse)
                    .filter(|t| *t != AccessType::All)
                    .ok_or_else(|| {
                        Error::definition(
                            format!("{at}.accessType"),
                            "must be READ, REPLICATE, WRITE or EXECUTE",
                        )
                    })?,
            );
        }
        if let Some(scopes) = o.get("accessScopes") {
            m.access_scopes = scopes
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Json::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .filter(|v: &Vec<String>| !v.is_empty())
                .ok_or_else(|| {
                    Error::definition(
                        format!("{at}.accessScopes"),
                        "must be a non-empty array of strings",
                    )
                })?;
        }
        if let Some(a) = o.get("aliases").and_then(Json::as_array) {
            m.aliases = a
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect();
        }
        m.documented = o.get("documented").and_then(Json::as_bool).unwrap_or(true);
        m.shared = o
            .get("shared")
            .or_else(|| o.get("public"))
            .and_then(Json::as_bool)
            .unwrap_or(true);
        Ok(m)
    }
}

/// One descriptor or an array of them.
fn one_or_many(v: Option<&Json>) -> Vec<Json> {
    match v {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(a)) => a.clone(),
        Some(other) => vec![other.clone()],
    }
}

/// Documentation text: a string, or an array of strings joined by newlines.
fn doc_text(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::String(s) => Some(s.clone()),
        Json::Array(lines) => Some(
            lines
                .iter()
                .filter_map(Json::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_read_as_strong_remoting_reads_them() {
        assert_eq!(ArgType::parse("Number"), ArgType::Number);
        assert_eq!(
            ArgType::parse("array"),
            ArgType::Array(Box::new(ArgType::Any))
        );
        assert_eq!(
            ArgType::parse("[string]"),
            ArgType::Array(Box::new(ArgType::String))
        );
        assert_eq!(
            ArgType::from_lb3(&json!(["Book"])).unwrap(),
            ArgType::Array(Box::new(ArgType::Model("Book".into())))
        );
        assert_eq!(ArgType::parse("Book").to_string(), "Book");
        assert!(ArgType::from_lb3(&json!(3)).is_err());
    }

    #[test]
    fn a_methods_entry_reads_every_option() {
        let m = RemoteMethod::from_lb3_json(
            "greet",
            &json!({
                "accepts": {"arg": "msg", "type": "string", "required": true,
                    "http": {"source": "query"}},
                "returns": {"arg": "greeting", "type": "string"},
                "http": {"path": "/sayhi", "verb": "get", "status": 201, "errorStatus": 400},
                "description": ["Says", "hi"]
            }),
        )
        .unwrap();
        assert!(m.is_static);
        assert_eq!(m.accepts[0].source, Some(ArgSource::Query));
        assert!(m.accepts[0].required);
        assert_eq!(m.returns[0].arg.as_deref(), Some("greeting"));
        assert_eq!(
            m.routes(),
            vec![HttpRoute {
                verb: HttpVerb::Get,
                path: "/sayhi".into()
            }]
        );
        assert_eq!((m.status, m.error_status), (Some(201), Some(400)));
        assert_eq!(m.description.as_deref(), Some("Says\nhi"));
        assert_eq!(m.effective_access_type(), AccessType::Read);
    }

    #[test]
    fn defaults_and_instance_methods() {
        let m = RemoteMethod::from_lb3_json("prototype.speak", &json!({})).unwrap();
        assert!(!m.is_static);
        assert_eq!(m.name, "speak");
        assert_eq!(m.string_name(), "prototype.speak");
        assert_eq!(m.routes()[0].verb, HttpVerb::All);
        assert_eq!(m.routes()[0].path, "/speak");
        assert_eq!(m.effective_access_type(), AccessType::Execute);
        let m = RemoteMethod::from_lb3_json("bark", &json!({"isStatic": false})).unwrap();
        assert!(!m.is_static);
        assert!(m.answers_to("prototype.bark"));
        assert!(!m.answers_to("bark"));
        // A status alone keeps the default route.
        let m = RemoteMethod::from_lb3_json("make", &json!({"http": {"status": 201}})).unwrap();
        assert_eq!(m.routes()[0].path, "/make");
        assert_eq!(m.status, Some(201));
    }

    #[test]
    fn bad_declarations_name_their_place() {
        let err = |j: Json| {
            RemoteMethod::from_lb3_json("m", &j)
                .unwrap_err()
                .to_string()
        };
        assert!(err(json!({"accepts": [{"type": "string"}]})).contains("methods.m.accepts[0]"));
        assert!(err(json!({"http": {"verb": "fetch"}})).contains("unknown verb"));
        assert!(err(json!({"http": {"status": 42}})).contains("HTTP status"));
        assert!(
            err(json!({"accepts": {"arg": "a", "http": {"source": "cookie"}}}))
                .contains("unknown source")
        );
        assert!(err(json!({"returns": {"type": "string"}})).contains("needs `arg`"));
        assert!(err(json!({"accessType": "ALL"})).contains("READ"));
        assert!(err(json!("x")).contains("must be an object"));
    }
}
