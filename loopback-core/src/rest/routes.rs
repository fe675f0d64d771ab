//! The route table: LB3's PersistedModel remoting table and the models it is mounted under,
//! built once; requests are matched segment by segment, without allocating.

use std::collections::HashMap;
use std::fmt;

use http::Method;

use super::errors;
use crate::app::ModelHandle;
use crate::error::Error;

/// The PersistedModel methods exposed over REST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Create,
    PatchOrCreate,
    ReplaceOrCreate,
    UpsertWithWhere,
    Exists,
    /// `exists` under `HEAD /:id`: 200 or 404.
    HeadExists,
    FindById,
    ReplaceById,
    Find,
    FindOne,
    UpdateAll,
    DeleteById,
    Count,
    PatchAttributes,
}

impl Op {
    /// LB3's name of the method (`prototype.` for instance methods).
    pub(crate) fn method_name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::PatchOrCreate => "patchOrCreate",
            Op::ReplaceOrCreate => "replaceOrCreate",
            Op::UpsertWithWhere => "upsertWithWhere",
            Op::Exists | Op::HeadExists => "exists",
            Op::FindById => "findById",
            Op::ReplaceById => "replaceById",
            Op::Find => "find",
            Op::FindOne => "findOne",
            Op::UpdateAll => "updateAll",
            Op::DeleteById => "deleteById",
            Op::Count => "count",
            Op::PatchAttributes => "prototype.patchAttributes",
        }
    }

    /// Whether the method reads the request body (its `data` argument).
    pub(crate) fn takes_body(self) -> bool {
        matches!(
            self,
            Op::Create
                | Op::PatchOrCreate
                | Op::ReplaceOrCreate
                | Op::UpsertWithWhere
                | Op::ReplaceById
                | Op::UpdateAll
                | Op::PatchAttributes
        )
    }
}

/// The HTTP verbs of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn of(method: &Method) -> Option<Verb> {
        Some(match *method {
            Method::GET => Verb::Get,
            Method::HEAD => Verb::Head,
            Method::POST => Verb::Post,
            Method::PUT => Verb::Put,
            Method::PATCH => Verb::Patch,
            Method::DELETE => Verb::Delete,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Head => "HEAD",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// A route's path below the model's path.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `/`
    Root,
    /// `/<name>`, matched case-insensitively as Express does.
    Literal(&'static str),
    /// `/:id`
    Id,
    /// `/:id/<name>`
    IdThen(&'static str),
}

impl Shape {
    /// Matches the segments below the model path; the id segment when there is one.
    fn matches<'p>(self, segs: &[&'p str]) -> Option<Option<&'p str>> {
        match (self, segs) {
            (Shape::Root, []) => Some(None),
            (Shape::Literal(name), [s]) if s.eq_ignore_ascii_case(name) => Some(None),
            (Shape::Id, [id]) => Some(Some(id)),
            (Shape::IdThen(name), [id, s]) if s.eq_ignore_ascii_case(name) => Some(Some(id)),
            _ => None,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Root => f.write_str("/"),
            Shape::Literal(name) => write!(f, "/{name}"),
            Shape::Id => f.write_str("/:id"),
            Shape::IdThen(name) => write!(f, "/:id/{name}"),
        }
    }
}

/// When a route exists: `PUT` depends on the model's `replaceOnPUT`.
#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    ReplaceOnPut,
    PatchOnPut,
}

impl When {
    fn holds(self, replace_on_put: bool) -> bool {
        match self {
            When::Always => true,
            When::ReplaceOnPut => replace_on_put,
            When::PatchOnPut => !replace_on_put,
        }
    }
}

struct RouteSpec {
    verb: Verb,
    shape: Shape,
    op: Op,
    when: When,
}

const fn route(verb: Verb, shape: Shape, op: Op, when: When) -> RouteSpec {
    RouteSpec {
        verb,
        shape,
        op,
        when,
    }
}

/// LB3 3.x `PersistedModel.setupRemoting`, in strong-remoting's route order (verbs in reverse
/// alphabetical order, then literal segments before `:id`); the first match wins. `HEAD`
/// falls back to the `GET` routes, as Express does. `destroyAll` (`DELETE /`) is not shared
/// in LB3. `createChangeStream` and the replication routes are not served yet.
const ROUTES: &[RouteSpec] = &[
    route(
        Verb::Put,
        Shape::Root,
        Op::ReplaceOrCreate,
        When::ReplaceOnPut,
    ),
    route(Verb::Put, Shape::Root, Op::PatchOrCreate, When::PatchOnPut),
    route(Verb::Put, Shape::Id, Op::ReplaceById, When::ReplaceOnPut),
    route(Verb::Put, Shape::Id, Op::PatchAttributes, When::PatchOnPut),
    route(
        Verb::Post,
        Shape::Literal("replaceOrCreate"),
        Op::ReplaceOrCreate,
        When::Always,
    ),
    route(
        Verb::Post,
        Shape::Literal("update"),
        Op::UpdateAll,
        When::Always,
    ),
    route(
        Verb::Post,
        Shape::Literal("upsertWithWhere"),
        Op::UpsertWithWhere,
        When::Always,
    ),
    route(
        Verb::Post,
        Shape::IdThen("replace"),
        Op::ReplaceById,
        When::Always,
    ),
    route(Verb::Post, Shape::Root, Op::Create, When::Always),
    route(Verb::Patch, Shape::Root, Op::PatchOrCreate, When::Always),
    route(Verb::Patch, Shape::Id, Op::PatchAttributes, When::Always),
    route(Verb::Head, Shape::Id, Op::HeadExists, When::Always),
    route(Verb::Get, Shape::Literal("count"), Op::Count, When::Always),
    route(
        Verb::Get,
        Shape::Literal("findOne"),
        Op::FindOne,
        When::Always,
    ),
    route(Verb::Get, Shape::IdThen("exists"), Op::Exists, When::Always),
    route(Verb::Get, Shape::Id, Op::FindById, When::Always),
    route(Verb::Get, Shape::Root, Op::Find, When::Always),
    route(Verb::Delete, Shape::Id, Op::DeleteById, When::Always),
];

fn find_route<'p>(
    verb: Verb,
    segs: &[&'p str],
    replace_on_put: bool,
) -> Option<(Op, Option<&'p str>)> {
    ROUTES
        .iter()
        .filter(|r| r.verb == verb && r.when.holds(replace_on_put))
        .find_map(|r| r.shape.matches(segs).map(|id| (r.op, id)))
}

/// One route of a [`RestApi`](super::RestApi), as [`RestApi::routes`](super::RestApi::routes)
/// lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The HTTP verb (`GET`, `POST`, …).
    pub verb: &'static str,
    /// The full path, with `:id` for the id (`/api/Books/:id`).
    pub path: String,
    /// LB3's name of the method: `Book.find`, `Book.prototype.patchAttributes`.
    pub method: String,
}

/// A model mounted in the table.
pub(crate) struct ModelRoutes {
    pub(crate) handle: ModelHandle,
    /// The path below the REST root, as configured (`Books`, `my-notes`).
    path: String,
    replace_on_put: bool,
}

/// Path segments are matched without allocating: at most this many are looked at.
const MAX_SEGMENTS: usize = 8;

/// The routes of every model, built once.
pub(crate) struct RouteTable {
    models: Vec<ModelRoutes>,
    /// Models by a case-insensitive hash of their first path segment.
    by_first_segment: HashMap<u64, Vec<usize>>,
}

/// What a request resolved to.
pub(crate) enum Resolved<'t, 'p> {
    /// A method of a model.
    Call {
        model: &'t ModelRoutes,
        op: Op,
        /// The raw (still percent-encoded) id segment.
        id: Option<&'p str>,
    },
    /// No route: the 404 to answer with.
    NotFound(Error),
}

impl RouteTable {
    /// The table for `models`.
    pub(crate) fn new(models: Vec<ModelHandle>) -> Self {
        let mut table = RouteTable {
            models: Vec::with_capacity(models.len()),
            by_first_segment: HashMap::new(),
        };
        for handle in models {
            let def = handle.definition();
            let path = def.http_path_segment().trim_matches('/').to_owned();
            let first = path.split('/').next().unwrap_or_default();
            table
                .by_first_segment
                .entry(segment_hash(first))
                .or_default()
                .push(table.models.len());
            table.models.push(ModelRoutes {
                handle,
                replace_on_put: def.replace_on_put(),
                path,
            });
        }
        table
    }

    /// Every route, model by model, in matching order.
    pub(crate) fn routes(&self, root: &str) -> Vec<Route> {
        let mut out = Vec::new();
        for m in &self.models {
            for r in ROUTES.iter().filter(|r| r.when.holds(m.replace_on_put)) {
                let below = match r.shape {
                    Shape::Root => String::new(),
                    shape => shape.to_string(),
                };
                out.push(Route {
                    verb: r.verb.as_str(),
                    path: format!("{root}/{}{below}", m.path),
                    method: format!("{}.{}", m.handle.name(), r.op.method_name()),
                });
            }
        }
        out
    }

    /// Resolves a request for `method` on `path` (`query` is only used in 404 messages).
    /// `root` is the REST root without a trailing slash (`/api`, or empty).
    pub(crate) fn resolve<'t, 'p>(
        &'t self,
        root: &str,
        method: &Method,
        path: &'p str,
        query: Option<&str>,
    ) -> Resolved<'t, 'p> {
        let url_from = |start: usize| {
            let below = &path[start.min(path.len())..];
            let slash = if below.starts_with('/') { "" } else { "/" };
            match query {
                Some(q) => format!("{slash}{below}?{q}"),
                None => format!("{slash}{below}"),
            }
        };
        let Some(below_root) = strip_mount(path, root) else {
            return Resolved::NotFound(errors::url_not_found(method.as_str(), &url_from(0)));
        };
        let root_end = path.len() - below_root.len();
        let mut segs: [&str; MAX_SEGMENTS] = [""; MAX_SEGMENTS];
        let mut n = 0;
        let mut too_many = false;
        let trimmed = below_root.strip_prefix('/').unwrap_or(below_root);
        // Express ignores one trailing slash.
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        if !trimmed.is_empty() {
            for s in trimmed.split('/') {
                if n == MAX_SEGMENTS {
                    too_many = true;
                    break;
                }
                segs[n] = s;
                n += 1;
            }
        }
        let segs = &segs[..n];
        let Some((model, used)) = self.model_for(segs) else {
            return Resolved::NotFound(errors::no_method(method.as_str(), &url_from(root_end)));
        };
        let below_model = &segs[used..];
        let found = if too_many {
            None
        } else {
            Verb::of(method).and_then(|verb| {
                let found = find_route(verb, below_model, model.replace_on_put);
                match (verb, found) {
                    (Verb::Head, None) => find_route(Verb::Get, below_model, model.replace_on_put),
                    (_, found) => found,
                }
            })
        };
        match found {
            Some((op, id)) => Resolved::Call { model, op, id },
            None => Resolved::NotFound(errors::no_method_in_class(
                model.handle.name(),
                method.as_str(),
                &url_from(end_offset(path, segs[used - 1])),
            )),
        }
    }

    /// The model whose path starts `segs`, and how many segments that path has.
    fn model_for(&self, segs: &[&str]) -> Option<(&ModelRoutes, usize)> {
        let first = segs.first()?;
        let candidates = self.by_first_segment.get(&segment_hash(first))?;
        candidates.iter().find_map(|&i| {
            let m = &self.models[i];
            let mut used = 0;
            for part in m.path.split('/') {
                if !segs.get(used).is_some_and(|s| s.eq_ignore_ascii_case(part)) {
                    return None;
                }
                used += 1;
            }
            Some((m, used))
        })
    }
}

/// The part of `path` below the mount point `root`, matched as Express mounts: case-insensitive,
/// on a segment boundary. `None` when `path` is not under `root`.
fn strip_mount<'p>(path: &'p str, root: &str) -> Option<&'p str> {
    if root.is_empty() {
        return Some(path);
    }
    let head = path.get(..root.len())?;
    if !head.eq_ignore_ascii_case(root) {
        return None;
    }
    let rest = &path[root.len()..];
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The offset in `path` just after `seg`, a slice of it.
fn end_offset(path: &str, seg: &str) -> usize {
    seg.as_ptr() as usize - path.as_ptr() as usize + seg.len()
}

/// FNV-1a over the ASCII-lowercased bytes: equal for segments equal ignoring ASCII case.
fn segment_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_ids() {
        assert_eq!(
            find_route(Verb::Get, &["count"], true),
            Some((Op::Count, None))
        );
        assert_eq!(
            find_route(Verb::Get, &["FINDONE"], true),
            Some((Op::FindOne, None))
        );
        assert_eq!(
            find_route(Verb::Get, &["7"], true),
            Some((Op::FindById, Some("7")))
        );
        assert_eq!(
            find_route(Verb::Put, &["count"], true),
            Some((Op::ReplaceById, Some("count")))
        );
        assert_eq!(find_route(Verb::Post, &["count"], true), None);
        assert_eq!(find_route(Verb::Delete, &[], true), None);
    }

    #[test]
    fn put_follows_replace_on_put() {
        assert_eq!(
            find_route(Verb::Put, &[], true),
            Some((Op::ReplaceOrCreate, None))
        );
        assert_eq!(
            find_route(Verb::Put, &[], false),
            Some((Op::PatchOrCreate, None))
        );
        assert_eq!(
            find_route(Verb::Put, &["1"], false),
            Some((Op::PatchAttributes, Some("1")))
        );
    }

    #[test]
    fn mounts_match_on_segment_boundaries() {
        assert_eq!(strip_mount("/api/Books", "/api"), Some("/Books"));
        assert_eq!(strip_mount("/API", "/api"), Some(""));
        assert_eq!(strip_mount("/apix", "/api"), None);
        assert_eq!(strip_mount("/ap", "/api"), None);
        assert_eq!(strip_mount("/x", ""), Some("/x"));
        assert_eq!(segment_hash("Books"), segment_hash("bOOKS"));
        assert_ne!(segment_hash("Books"), segment_hash("Book"));
    }
}
