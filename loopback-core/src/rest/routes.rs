//! The route table: LB3's PersistedModel remoting table and the models it is mounted under,
//! built once; requests are matched segment by segment, without allocating.

use std::cmp::Ordering;
use std::collections::HashMap;

use http::Method;
use serde_json::Value as Json;

use super::errors;
use crate::app::ModelHandle;
use crate::auth::{builtin_access_type, AccessType};
use crate::error::Error;
use crate::model::{ModelDefinition, RelationKind};
use crate::remote::{HttpVerb, MethodEntry};

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
    /// `GET /:id/<rel>` of hasMany, through and referencesMany (`__get__`).
    RelFind,
    /// `GET /:id/<rel>` of hasOne: 404 when there is none.
    RelGetOne,
    /// `GET /:id/<rel>` of belongsTo: `{}` when there is none.
    RelGetBelongsTo,
    /// `POST /:id/<rel>` (`__create__`).
    RelCreate,
    /// `PUT /:id/<rel>` of hasOne (`__update__`).
    RelUpdate,
    /// `DELETE /:id/<rel>` of hasOne (`__destroy__`).
    RelDestroy,
    /// `DELETE /:id/<rel>` of to-many relations (`__delete__`).
    RelDeleteAll,
    /// `GET /:id/<rel>/count` (`__count__`).
    RelCount,
    /// `GET /:id/<rel>/:fk` (`__findById__`).
    RelFindById,
    /// `PUT /:id/<rel>/:fk` (`__updateById__`).
    RelUpdateById,
    /// `DELETE /:id/<rel>/:fk` (`__destroyById__`).
    RelDestroyById,
    /// `PUT /:id/<rel>/rel/:fk` (`__link__`).
    RelLink,
    /// `DELETE /:id/<rel>/rel/:fk` (`__unlink__`).
    RelUnlink,
    /// `HEAD /:id/<rel>/rel/:fk` (`__exists__`): 200 or 404.
    RelExists,
    /// `GET` and `POST /change-stream` (`createChangeStream`): server-sent events.
    ChangeStream,
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
            Op::RelFind | Op::RelGetOne | Op::RelGetBelongsTo => "prototype.__get__",
            Op::RelCreate => "prototype.__create__",
            Op::RelUpdate => "prototype.__update__",
            Op::RelDestroy => "prototype.__destroy__",
            Op::RelDeleteAll => "prototype.__delete__",
            Op::RelCount => "prototype.__count__",
            Op::RelFindById => "prototype.__findById__",
            Op::RelUpdateById => "prototype.__updateById__",
            Op::RelDestroyById => "prototype.__destroyById__",
            Op::RelLink => "prototype.__link__",
            Op::RelUnlink => "prototype.__unlink__",
            Op::RelExists => "prototype.__exists__",
            Op::ChangeStream => "createChangeStream",
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
                | Op::RelCreate
                | Op::RelUpdate
                | Op::RelUpdateById
                | Op::RelLink
                | Op::ChangeStream
        )
    }
}

/// The verbs of the table: a remote method's, never `all` for the built-in routes.
type Verb = HttpVerb;

/// The table's verb of a request method (`None` for verbs no route has).
fn verb_of(method: &Method) -> Option<Verb> {
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
    /// `/:id/<rel>`: `<rel>` is the path of one of the model's relations.
    IdRel,
    /// `/:id/<rel>/<name>`
    IdRelThen(&'static str),
    /// `/:id/<rel>/:fk`
    IdRelFk,
    /// `/:id/<rel>/<name>/:fk`
    IdRelThenFk(&'static str),
}

/// What a route matched: the id segment, the relation (an index into the model's relations)
/// and the fk segment, when the route has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Matched<'p> {
    pub(crate) id: Option<&'p str>,
    pub(crate) rel: Option<usize>,
    pub(crate) fk: Option<&'p str>,
}

impl Shape {
    /// Matches the segments below the model path against a route serving the relations of
    /// the kinds in `kinds` (none for the model's own routes).
    fn matches<'p>(self, segs: &[&'p str], kinds: u8, rels: &[RelRoute]) -> Option<Matched<'p>> {
        let rel = |seg: &str| {
            rels.iter()
                .position(|r| r.kinds & kinds != 0 && seg.eq_ignore_ascii_case(&r.path))
        };
        let with_id = |id| Matched {
            id: Some(id),
            ..Matched::default()
        };
        match (self, segs) {
            (Shape::Root, []) => Some(Matched::default()),
            (Shape::Literal(name), [s]) if s.eq_ignore_ascii_case(name) => Some(Matched::default()),
            (Shape::Id, [id]) => Some(with_id(id)),
            (Shape::IdThen(name), [id, s]) if s.eq_ignore_ascii_case(name) => Some(with_id(id)),
            (Shape::IdRel, [id, r]) => rel(r).map(|i| Matched {
                rel: Some(i),
                ..with_id(id)
            }),
            (Shape::IdRelThen(name), [id, r, s]) if s.eq_ignore_ascii_case(name) => {
                rel(r).map(|i| Matched {
                    rel: Some(i),
                    ..with_id(id)
                })
            }
            (Shape::IdRelFk, [id, r, fk]) => rel(r).map(|i| Matched {
                id: Some(id),
                rel: Some(i),
                fk: Some(fk),
            }),
            (Shape::IdRelThenFk(name), [id, r, s, fk]) if s.eq_ignore_ascii_case(name) => rel(r)
                .map(|i| Matched {
                    id: Some(id),
                    rel: Some(i),
                    fk: Some(fk),
                }),
            _ => None,
        }
    }

    /// The path below the model, with `rel` for the relation's path.
    fn display(self, rel: &str) -> String {
        match self {
            Shape::Root => String::new(),
            Shape::Literal(name) => format!("/{name}"),
            Shape::Id => "/:id".to_owned(),
            Shape::IdThen(name) => format!("/:id/{name}"),
            Shape::IdRel => format!("/:id/{rel}"),
            Shape::IdRelThen(name) => format!("/:id/{rel}/{name}"),
            Shape::IdRelFk => format!("/:id/{rel}/:fk"),
            Shape::IdRelThenFk(name) => format!("/:id/{rel}/{name}/:fk"),
        }
    }
}

/// Relation kinds, as bits of [`RouteSpec::kinds`] and [`RelRoute::kinds`].
const BELONGS_TO: u8 = 1;
const HAS_ONE: u8 = 2;
/// hasMany (with or without through), hasAndBelongsToMany, referencesMany.
const TO_MANY: u8 = 4;
/// Relations with link routes: through relations and referencesMany.
const LINKS: u8 = 8;

/// A relation mounted under a model's `/:id`.
#[derive(Debug)]
pub(crate) struct RelRoute {
    /// The relation name.
    pub(crate) name: String,
    /// Its path segment (`options.http.path`, else the name).
    path: String,
    kinds: u8,
}

impl RelRoute {
    /// The route of relation `name` of `handle`; `None` for kinds without REST routes
    /// (embedded relations) and relations that cannot be resolved.
    fn new(handle: &ModelHandle, name: &str) -> Option<RelRoute> {
        let rel = handle.relation(name).ok()?;
        let kinds = match rel.kind {
            RelationKind::BelongsTo => BELONGS_TO,
            RelationKind::HasOne => HAS_ONE,
            RelationKind::ReferencesMany => TO_MANY | LINKS,
            RelationKind::HasMany | RelationKind::HasAndBelongsToMany => {
                if rel.through.is_some() {
                    TO_MANY | LINKS
                } else {
                    TO_MANY
                }
            }
            _ => return None,
        };
        let path = relation_http_path(&rel.options, name).to_owned();
        Some(RelRoute {
            name: name.to_owned(),
            path,
            kinds,
        })
    }
}

/// The path segment of relation `name`'s routes: its `options.http.path` (one segment), else
/// the name.
pub(crate) fn relation_http_path<'a>(
    options: &'a serde_json::Map<String, Json>,
    name: &'a str,
) -> &'a str {
    options
        .get("http")
        .and_then(|h| h.get("path"))
        .and_then(|p| p.as_str())
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty() && !p.contains('/'))
        .unwrap_or(name)
}

/// A relation nested with LB3's `nestRemoting`: the relation routes of its target model,
/// served again below `/:id/<path>/:nk` (to-many relations) or `/:id/<path>` (to-one).
pub(crate) struct NestedRel {
    /// The relation name on the source model.
    pub(crate) name: String,
    /// Its path segment (`pathName`, else the relation's `options.path`, else its name).
    path: String,
    /// To-many: the routes take the related id (`:nk`).
    pub(crate) multiple: bool,
    /// The name of the related id parameter (`nk`).
    pub(crate) param: String,
    /// Whether the target's remote hooks of the nested methods run too.
    pub(crate) hooks: bool,
    /// The related model.
    pub(crate) target: ModelHandle,
    /// The target's relations with REST routes LB3 nests (names without `_`).
    pub(crate) relations: Vec<RelRoute>,
    /// Methods not served (disabled or not shared on the target, or on the source under
    /// their nested name), with their relation.
    disabled: Vec<(Op, Option<usize>)>,
}

impl NestedRel {
    /// The nesting of relation `name` of `handle` when its definition asks for it; `None`
    /// for relations without a single target model or without REST routes.
    fn new(
        handle: &ModelHandle,
        def: &ModelDefinition,
        name: &str,
        sharing: &Sharing,
    ) -> Option<Self> {
        let settings = def.relations.get(name)?.nest_remoting()?;
        let rel = handle.relation(name).ok()?;
        let multiple = match rel.kind {
            RelationKind::BelongsTo | RelationKind::HasOne => false,
            RelationKind::HasMany
            | RelationKind::HasAndBelongsToMany
            | RelationKind::ReferencesMany => true,
            _ => return None,
        };
        let target = handle.app().ok()?.model(rel.target.as_deref()?)?;
        let tdef = target.definition();
        let path = nested_path(&settings, &rel.options, name);
        // LB3 nests the target's methods named `^__([^_]+)__([^_]+)$`.
        let relations: Vec<RelRoute> = tdef
            .relations
            .keys()
            .filter(|n| !n.contains('_'))
            .filter_map(|n| RelRoute::new(&target, n))
            .collect();
        let target_sharing = Sharing::of(&target, &tdef);
        let mut nested = NestedRel {
            name: name.to_owned(),
            path,
            multiple,
            param: settings.param_name,
            hooks: settings.hooks,
            target,
            relations,
            disabled: Vec::new(),
        };
        for r in ROUTES.iter().filter(|r| r.kinds != 0) {
            for i in 0..nested.relations.len() {
                if nested.relations[i].kinds & r.kinds == 0 {
                    continue;
                }
                let inner = builtin_method_name(r.op, Some(&nested.relations[i]));
                let outer = nested_method_name(r.op, &nested, &nested.relations[i]);
                if (target_sharing.hides(&inner, &[]) || sharing.hides(&outer, &[]))
                    && !nested.disabled.contains(&(r.op, Some(i)))
                {
                    nested.disabled.push((r.op, Some(i)));
                }
            }
        }
        Some(nested)
    }

    /// Matches the segments below the model (`[id, path, nk, …]`) against the nested routes
    /// of `verb`.
    fn find<'p>(&self, verb: Verb, segs: &[&'p str]) -> Option<(Op, NestedMatch<'p>, Shape)> {
        let head = if self.multiple { 3 } else { 2 };
        if segs.len() <= head || !segs[1].eq_ignore_ascii_case(&self.path) {
            return None;
        }
        // The relation routes below the related instance, its id standing for `/:id`.
        let below = &segs[head - 1..];
        let (op, m, shape) = ROUTES
            .iter()
            .filter(|r| r.verb == verb && r.kinds != 0)
            .filter_map(|r| {
                r.shape
                    .matches(below, r.kinds, &self.relations)
                    .map(|m| (r.op, m, r.shape))
            })
            .find(|(op, m, _)| !self.disabled.contains(&(*op, m.rel)))?;
        Some((
            op,
            NestedMatch {
                nest: 0,
                id: segs[0],
                nk: self.multiple.then(|| segs[2]),
                rel: m.rel?,
                fk: m.fk,
            },
            shape,
        ))
    }

    /// The path of a nested route below the model, with `rel` for the target's relation
    /// path: `/:id/books/:nk/reviews/count`.
    fn display(&self, shape: Shape, rel: &str) -> String {
        let inner = shape.display(rel);
        let inner = inner.strip_prefix("/:id").unwrap_or(&inner);
        if self.multiple {
            format!("/:id/{}/:{}{inner}", self.path, self.param)
        } else {
            format!("/:id/{}{inner}", self.path)
        }
    }
}

/// The path segment of a nested relation `name`: LB3's `pathName`, else the relation's
/// `options.path` (not `options.http.path`, as LB3 reads it), else the name.
pub(crate) fn nested_path(
    settings: &crate::model::NestRemoting,
    options: &serde_json::Map<String, Json>,
    name: &str,
) -> String {
    settings.path_name.clone().unwrap_or_else(|| {
        options
            .get("path")
            .and_then(Json::as_str)
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty() && !p.contains('/'))
            .unwrap_or(name)
            .to_owned()
    })
}

/// What a nested route matched: the nesting (an index into the model's nested relations),
/// the raw id and related id segments, the target's relation and the fk segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NestedMatch<'p> {
    pub(crate) nest: usize,
    pub(crate) id: &'p str,
    pub(crate) nk: Option<&'p str>,
    pub(crate) rel: usize,
    pub(crate) fk: Option<&'p str>,
}

/// LB3's name of a nested method: `prototype.__get__books__reviews` for `__get__reviews` of
/// the target of `books`.
pub(crate) fn nested_method_name(op: Op, nest: &NestedRel, rel: &RelRoute) -> String {
    let op_name = op.method_name();
    let op_name = op_name.strip_prefix("prototype.").unwrap_or(op_name);
    format!("prototype.{op_name}{}__{}", nest.name, rel.name)
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
    /// The relation kinds a relation route serves; 0 for the model's own routes.
    kinds: u8,
}

const fn route(verb: Verb, shape: Shape, op: Op, when: When) -> RouteSpec {
    RouteSpec {
        verb,
        shape,
        op,
        when,
        kinds: 0,
    }
}

/// A route of the relations of `kinds` (LB3's `belongsToRemoting`, `hasOneRemoting`,
/// `hasManyRemoting` and `scopeRemoting`).
const fn rel_route(verb: Verb, shape: Shape, op: Op, kinds: u8) -> RouteSpec {
    RouteSpec {
        verb,
        shape,
        op,
        when: When::Always,
        kinds,
    }
}

/// LB3 3.x `PersistedModel.setupRemoting`, in strong-remoting's route order (verbs in reverse
/// alphabetical order, then literal segments before `:id`); the first match wins. `HEAD`
/// falls back to the `GET` routes, as Express does. `destroyAll` (`DELETE /`) is not shared
/// in LB3. The replication routes are not served. The relation
/// routes of each verb follow the model's own, longest paths first, `count` before `:fk`.
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
    rel_route(Verb::Put, Shape::IdRelThenFk("rel"), Op::RelLink, LINKS),
    rel_route(Verb::Put, Shape::IdRelFk, Op::RelUpdateById, TO_MANY),
    rel_route(Verb::Put, Shape::IdRel, Op::RelUpdate, HAS_ONE),
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
    route(
        Verb::Post,
        Shape::Literal("change-stream"),
        Op::ChangeStream,
        When::Always,
    ),
    route(Verb::Post, Shape::Root, Op::Create, When::Always),
    rel_route(Verb::Post, Shape::IdRel, Op::RelCreate, HAS_ONE | TO_MANY),
    route(Verb::Patch, Shape::Root, Op::PatchOrCreate, When::Always),
    route(Verb::Patch, Shape::Id, Op::PatchAttributes, When::Always),
    route(Verb::Head, Shape::Id, Op::HeadExists, When::Always),
    rel_route(Verb::Head, Shape::IdRelThenFk("rel"), Op::RelExists, LINKS),
    route(Verb::Get, Shape::Literal("count"), Op::Count, When::Always),
    route(
        Verb::Get,
        Shape::Literal("findOne"),
        Op::FindOne,
        When::Always,
    ),
    route(
        Verb::Get,
        Shape::Literal("change-stream"),
        Op::ChangeStream,
        When::Always,
    ),
    route(Verb::Get, Shape::IdThen("exists"), Op::Exists, When::Always),
    route(Verb::Get, Shape::Id, Op::FindById, When::Always),
    route(Verb::Get, Shape::Root, Op::Find, When::Always),
    rel_route(Verb::Get, Shape::IdRelThen("count"), Op::RelCount, TO_MANY),
    rel_route(Verb::Get, Shape::IdRelFk, Op::RelFindById, TO_MANY),
    rel_route(Verb::Get, Shape::IdRel, Op::RelFind, TO_MANY),
    rel_route(Verb::Get, Shape::IdRel, Op::RelGetOne, HAS_ONE),
    rel_route(Verb::Get, Shape::IdRel, Op::RelGetBelongsTo, BELONGS_TO),
    route(Verb::Delete, Shape::Id, Op::DeleteById, When::Always),
    rel_route(
        Verb::Delete,
        Shape::IdRelThenFk("rel"),
        Op::RelUnlink,
        LINKS,
    ),
    rel_route(Verb::Delete, Shape::IdRelFk, Op::RelDestroyById, TO_MANY),
    rel_route(Verb::Delete, Shape::IdRel, Op::RelDeleteAll, TO_MANY),
    rel_route(Verb::Delete, Shape::IdRel, Op::RelDestroy, HAS_ONE),
];

#[cfg(test)]
fn find_route<'p>(
    verb: Verb,
    segs: &[&'p str],
    replace_on_put: bool,
    rels: &[RelRoute],
) -> Option<(Op, Matched<'p>)> {
    find_enabled_route(verb, segs, replace_on_put, rels, &[]).map(|(op, m, _)| (op, m))
}

/// The first route of `verb` matching `segs` whose method is not in `disabled`, with its
/// path shape.
fn find_enabled_route<'p>(
    verb: Verb,
    segs: &[&'p str],
    replace_on_put: bool,
    rels: &[RelRoute],
    disabled: &[(Op, Option<usize>)],
) -> Option<(Op, Matched<'p>, Shape)> {
    ROUTES
        .iter()
        .filter(|r| r.verb == verb && r.when.holds(replace_on_put))
        .filter_map(|r| {
            r.shape
                .matches(segs, r.kinds, rels)
                .map(|m| (r.op, m, r.shape))
        })
        .find(|(op, m, _)| disabled.is_empty() || !disabled.contains(&(*op, m.rel)))
}

/// A segment of a remote method's route path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathSeg {
    Literal(String),
    Param(String),
}

/// A route of a custom remote method, below the model's path (instance methods under
/// `/:id`).
pub(crate) struct CustomRoute {
    verb: HttpVerb,
    /// The path as declared, split on `/` (empty segments kept, for LB3's sort).
    raw: Vec<String>,
    segs: Vec<PathSeg>,
    pub(crate) entry: MethodEntry,
}

impl CustomRoute {
    fn new(entry: &MethodEntry, verb: HttpVerb, path: &str) -> CustomRoute {
        let full = if entry.method.is_static {
            path.to_owned()
        } else {
            join_paths("/:id", path)
        };
        let raw: Vec<String> = full.split('/').map(str::to_owned).collect();
        let segs = full
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(p) => PathSeg::Param(p.to_owned()),
                None => PathSeg::Literal(s.to_owned()),
            })
            .collect();
        CustomRoute {
            verb,
            raw,
            segs,
            entry: entry.clone(),
        }
    }

    /// The path parameters when the route matches `segs`.
    fn matches<'p>(&self, segs: &[&'p str]) -> Option<Vec<(String, &'p str)>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut params = Vec::new();
        for (want, got) in self.segs.iter().zip(segs) {
            match want {
                PathSeg::Literal(l) if got.eq_ignore_ascii_case(l) => {}
                PathSeg::Literal(_) => return None,
                PathSeg::Param(_) if got.is_empty() => return None,
                PathSeg::Param(name) => params.push((name.clone(), *got)),
            }
        }
        Some(params)
    }

    /// The path below the model, for listings (`/:id/speak`).
    fn display(&self) -> String {
        let p = self.raw.join("/");
        if p == "/" {
            String::new()
        } else {
            p.trim_end_matches('/').to_owned()
        }
    }
}

/// strong-remoting's `joinPaths`.
fn join_paths(left: &str, right: &str) -> String {
    if right.is_empty() || right == "/" {
        return left.to_owned();
    }
    match (left.ends_with('/'), right.starts_with('/')) {
        (true, true) => format!("{left}{}", &right[1..]),
        (false, false) => format!("{left}/{right}"),
        _ => format!("{left}{right}"),
    }
}

/// strong-remoting's `sortRoutes` on two paths of the same verb: a non-empty segment before
/// an empty one, a literal before a `:param`, then string order; a longer path first.
fn compare_paths(a: &[&str], b: &[&str]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        if x.is_empty() != y.is_empty() {
            return if x.is_empty() {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (xp, yp) = (x.starts_with(':'), y.starts_with(':'));
        if xp != yp {
            return if xp {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        match x.cmp(y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    b.len().cmp(&a.len())
}

/// The order a request of `verb` tries route verbs in: its own, `GET` for `HEAD` (as
/// Express does), then `all`.
fn verb_rank(request: Verb, route: HttpVerb) -> Option<u8> {
    if route == request {
        Some(0)
    } else if request == Verb::Head && route == HttpVerb::Get {
        Some(1)
    } else if route == HttpVerb::All {
        Some(2)
    } else {
        None
    }
}

/// LB3's aliases of the built-in methods, by the name they stand for.
const BUILTIN_ALIASES: &[(&str, &str)] = &[
    ("upsert", "patchOrCreate"),
    ("updateOrCreate", "patchOrCreate"),
    ("patchOrCreateWithWhere", "upsertWithWhere"),
    ("destroyById", "deleteById"),
    ("removeById", "deleteById"),
    ("update", "updateAll"),
    ("prototype.updateAttributes", "prototype.patchAttributes"),
];

/// The built-in method an alias stands for (`upsert` is `patchOrCreate`); other names as
/// they are.
pub(crate) fn canonical_builtin(name: &str) -> &str {
    BUILTIN_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, real)| real)
}

/// LB3's aliases of the built-in method `name` (`prototype.` ones for instance methods).
pub(crate) fn builtin_aliases(name: &str) -> impl Iterator<Item = &'static str> + '_ {
    BUILTIN_ALIASES
        .iter()
        .filter(move |(_, real)| *real == name)
        .map(|(alias, _)| *alias)
}

/// Whether LB3's `remoting.sharedMethods` settings of a model (in `options` or at the top
/// level of its JSON) and the names disabled on it hide the method `name` (or its aliases).
struct Sharing {
    settings: Option<serde_json::Map<String, Json>>,
    disabled: Vec<String>,
}

impl Sharing {
    fn of(handle: &ModelHandle, def: &ModelDefinition) -> Sharing {
        let from = |m: &serde_json::Map<String, Json>| {
            m.get("remoting")
                .and_then(|r| r.get("sharedMethods"))
                .and_then(Json::as_object)
                .cloned()
        };
        let settings = from(&def.options).or_else(|| from(&def.extra));
        let disabled = handle
            .disabled_remote_methods()
            .into_iter()
            .map(|n| canonical_builtin(&n).to_owned())
            .collect();
        Sharing { settings, disabled }
    }

    /// Whether the method `name`, also known as `aliases`, is hidden.
    fn hides(&self, name: &str, aliases: &[&str]) -> bool {
        if self.disabled.iter().any(|d| d == name) {
            return true;
        }
        let Some(settings) = &self.settings else {
            return false;
        };
        let mut shared = settings.get("*").and_then(Json::as_bool).unwrap_or(true);
        for (k, v) in settings {
            if k != "*" && (k == name || aliases.contains(&k.as_str())) {
                if let Some(b) = v.as_bool() {
                    shared = b;
                }
            }
        }
        !shared
    }
}

/// Every built-in method's name with its relation (for relation methods), as LB3 names them
/// (`prototype.__get__books`).
pub(crate) fn builtin_method_name(op: Op, rel: Option<&RelRoute>) -> String {
    match rel {
        Some(r) if op.method_name().starts_with("prototype.__") => {
            format!("{}{}", op.method_name(), r.name)
        }
        _ => op.method_name().to_owned(),
    }
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
    /// The names ACLs match the method by: its name without the model and `prototype.`
    /// (`patchAttributes`), then its aliases (`updateAttributes`).
    pub acl_names: Vec<String>,
    /// The method's access type, as the access check gives it.
    pub access_type: AccessType,
}

/// The names ACLs match a built-in method by (its name without `prototype.`, then its
/// aliases) and its access type: what the access check of a built-in call uses.
pub(crate) fn builtin_access(name: &str) -> (Vec<String>, AccessType) {
    let bare = |n: &str| n.strip_prefix("prototype.").unwrap_or(n).to_owned();
    let mut names = vec![bare(name)];
    names.extend(builtin_aliases(name).map(bare));
    let access = builtin_access_type(&names[0]).unwrap_or(AccessType::Execute);
    (names, access)
}

/// A model mounted in the table.
pub(crate) struct ModelRoutes {
    pub(crate) handle: ModelHandle,
    /// The path below the REST root, as configured (`Books`, `my-notes`).
    path: String,
    replace_on_put: bool,
    /// The relations with REST routes, in definition order.
    pub(crate) relations: Vec<RelRoute>,
    /// Built-in methods not served (disabled or not shared), with their relation.
    disabled: Vec<(Op, Option<usize>)>,
    /// The custom remote methods' routes, in strong-remoting's order.
    pub(crate) custom: Vec<CustomRoute>,
    /// The relations nested with `nestRemoting`, in definition order.
    pub(crate) nested: Vec<NestedRel>,
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
        /// The raw (still percent-encoded) id and fk segments, and the relation.
        matched: Matched<'p>,
    },
    /// A nested relation method (`nestRemoting`).
    Nested {
        model: &'t ModelRoutes,
        op: Op,
        /// The raw (still percent-encoded) segments and what they name.
        matched: NestedMatch<'p>,
    },
    /// A custom remote method.
    Remote {
        model: &'t ModelRoutes,
        route: &'t CustomRoute,
        /// The path parameters, still percent-encoded.
        params: Vec<(String, &'p str)>,
    },
    /// No route: the 404 to answer with.
    NotFound(Error),
}

impl ModelRoutes {
    /// The first nested route of `verb` matching `segs` (below the model's path), with its
    /// path below the model for strong-remoting's ordering against custom routes.
    fn find_nested<'p>(
        &self,
        verb: Verb,
        segs: &[&'p str],
    ) -> Option<((Op, NestedMatch<'p>, String), u8)> {
        self.nested.iter().enumerate().find_map(|(i, n)| {
            n.find(verb, segs).map(|(op, mut m, shape)| {
                m.nest = i;
                let display = n.display(shape, &n.relations[m.rel].path);
                ((op, m, display), 0)
            })
        })
    }
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
            let relations: Vec<RelRoute> = def
                .relations
                .keys()
                .filter_map(|name| RelRoute::new(&handle, name))
                .collect();
            let sharing = Sharing::of(&handle, &def);
            let mut disabled = Vec::new();
            for r in ROUTES {
                let rels: Vec<Option<usize>> = if r.kinds == 0 {
                    vec![None]
                } else {
                    (0..relations.len())
                        .filter(|&i| relations[i].kinds & r.kinds != 0)
                        .map(Some)
                        .collect()
                };
                for rel in rels {
                    let name = builtin_method_name(r.op, rel.map(|i| &relations[i]));
                    let aliases: Vec<&str> = builtin_aliases(&name).collect();
                    if sharing.hides(&name, &aliases) && !disabled.contains(&(r.op, rel)) {
                        disabled.push((r.op, rel));
                    }
                }
            }
            let mut custom: Vec<CustomRoute> = Vec::new();
            for entry in handle
                .app()
                .map(|app| app.remotes().methods_of(handle.name()))
                .unwrap_or_default()
            {
                let m = &entry.method;
                let name = m.string_name();
                let aliases: Vec<&str> = m.aliases.iter().map(String::as_str).collect();
                if !m.shared || sharing.hides(&name, &aliases) {
                    continue;
                }
                for r in m.routes() {
                    custom.push(CustomRoute::new(&entry, r.verb, &r.path));
                }
            }
            custom.sort_by(|a, b| {
                // Verbs in descending string order (`all` last), then the paths.
                b.verb.as_str().cmp(a.verb.as_str()).then_with(|| {
                    let pa: Vec<&str> = a.raw.iter().map(String::as_str).collect();
                    let pb: Vec<&str> = b.raw.iter().map(String::as_str).collect();
                    compare_paths(&pa, &pb)
                })
            });
            let nested = def
                .relations
                .keys()
                .filter_map(|name| NestedRel::new(&handle, &def, name, &sharing))
                .collect();
            table.models.push(ModelRoutes {
                handle,
                replace_on_put: def.replace_on_put(),
                path,
                relations,
                disabled,
                custom,
                nested,
            });
        }
        table
    }

    /// The model routes (`relations` false) or the relation routes (`relations` true), model
    /// by model, in matching order.
    pub(crate) fn routes(&self, root: &str, relations: bool) -> Vec<Route> {
        let mut out = Vec::new();
        for m in &self.models {
            for r in ROUTES.iter().filter(|r| r.when.holds(m.replace_on_put)) {
                if (r.kinds != 0) != relations {
                    continue;
                }
                if r.kinds == 0 {
                    if m.disabled.contains(&(r.op, None)) {
                        continue;
                    }
                    let (acl_names, access_type) = builtin_access(r.op.method_name());
                    out.push(Route {
                        verb: r.verb.upper(),
                        path: format!("{root}/{}{}", m.path, r.shape.display("")),
                        method: format!("{}.{}", m.handle.name(), r.op.method_name()),
                        acl_names,
                        access_type,
                    });
                    continue;
                }
                for (i, rel) in m.relations.iter().enumerate() {
                    if rel.kinds & r.kinds == 0 || m.disabled.contains(&(r.op, Some(i))) {
                        continue;
                    }
                    let name = builtin_method_name(r.op, Some(rel));
                    let (acl_names, access_type) = builtin_access(&name);
                    out.push(Route {
                        verb: r.verb.upper(),
                        path: format!("{root}/{}{}", m.path, r.shape.display(&rel.path)),
                        method: format!("{}.{name}", m.handle.name()),
                        acl_names,
                        access_type,
                    });
                }
            }
            if !relations {
                continue;
            }
            // The nested routes are tried after the model's relation routes.
            for n in &m.nested {
                for r in ROUTES.iter().filter(|r| r.kinds != 0) {
                    for (i, rel) in n.relations.iter().enumerate() {
                        if rel.kinds & r.kinds == 0 || n.disabled.contains(&(r.op, Some(i))) {
                            continue;
                        }
                        let name = nested_method_name(r.op, n, rel);
                        let (acl_names, access_type) = builtin_access(&name);
                        out.push(Route {
                            verb: r.verb.upper(),
                            path: format!("{root}/{}{}", m.path, n.display(r.shape, &rel.path)),
                            method: format!("{}.{name}", m.handle.name()),
                            acl_names,
                            access_type,
                        });
                    }
                }
            }
        }
        out
    }

    /// The routes of the custom remote methods, model by model, in matching order; `all`
    /// routes are listed with the verb `ALL`.
    pub(crate) fn custom_routes(&self, root: &str) -> Vec<Route> {
        let mut out = Vec::new();
        for m in &self.models {
            for c in &m.custom {
                let method = &c.entry.method;
                let mut acl_names = vec![method.name.clone()];
                acl_names.extend(method.aliases.iter().cloned());
                out.push(Route {
                    verb: c.verb.upper(),
                    path: format!("{root}/{}{}", m.path, c.display()),
                    method: format!("{}.{}", m.handle.name(), method.string_name()),
                    acl_names,
                    access_type: method.effective_access_type(),
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
        let verb = if too_many { None } else { verb_of(method) };
        let found = verb.and_then(|verb| {
            let rels = &model.relations;
            let off = &model.disabled;
            match find_enabled_route(verb, below_model, model.replace_on_put, rels, off) {
                Some(f) => Some((f, 0)),
                None if verb == Verb::Head => {
                    find_enabled_route(Verb::Get, below_model, model.replace_on_put, rels, off)
                        .map(|f| (f, 1))
                }
                None => None,
            }
        });
        // The nested routes (`nestRemoting`) only where no route of the model's own matches:
        // theirs come first in strong-remoting's order wherever both could.
        let nested = match (&found, verb) {
            (None, Some(verb)) => model.find_nested(verb, below_model).or_else(|| {
                (verb == Verb::Head)
                    .then(|| model.find_nested(Verb::Get, below_model))
                    .flatten()
                    .map(|(f, _)| (f, 1))
            }),
            _ => None,
        };
        let custom = verb.and_then(|verb| {
            model
                .custom
                .iter()
                .filter_map(|c| verb_rank(verb, c.verb).map(|rank| (rank, c)))
                .filter_map(|(rank, c)| c.matches(below_model).map(|p| (rank, c, p)))
                // Stable: the first of the lowest rank, in the table's order.
                .min_by_key(|(rank, _, _)| *rank)
        });
        let found = match (found, custom) {
            (Some(((op, matched, shape), rank)), Some((crank, c, params))) => {
                let builtin_first = match rank.cmp(&crank) {
                    Ordering::Less => true,
                    Ordering::Greater => false,
                    Ordering::Equal => {
                        let rel = matched.rel.map_or("", |i| model.relations[i].path.as_str());
                        let bpath = shape.display(rel);
                        let bsegs: Vec<&str> = bpath.split('/').collect();
                        let csegs: Vec<&str> = c.raw.iter().map(String::as_str).collect();
                        compare_paths(&bsegs, &csegs) != Ordering::Greater
                    }
                };
                if builtin_first {
                    Some(Resolved::Call { model, op, matched })
                } else {
                    Some(Resolved::Remote {
                        model,
                        route: c,
                        params,
                    })
                }
            }
            (Some(((op, matched, _), _)), None) => Some(Resolved::Call { model, op, matched }),
            (None, custom) => match (nested, custom) {
                (Some(((op, matched, display), rank)), Some((crank, c, params))) => {
                    let nested_first = match rank.cmp(&crank) {
                        Ordering::Less => true,
                        Ordering::Greater => false,
                        Ordering::Equal => {
                            let nsegs: Vec<&str> = display.split('/').collect();
                            let csegs: Vec<&str> = c.raw.iter().map(String::as_str).collect();
                            compare_paths(&nsegs, &csegs) != Ordering::Greater
                        }
                    };
                    if nested_first {
                        Some(Resolved::Nested { model, op, matched })
                    } else {
                        Some(Resolved::Remote {
                            model,
                            route: c,
                            params,
                        })
                    }
                }
                (Some(((op, matched, _), _)), None) => {
                    Some(Resolved::Nested { model, op, matched })
                }
                (None, Some((_, route, params))) => Some(Resolved::Remote {
                    model,
                    route,
                    params,
                }),
                (None, None) => None,
            },
        };
        match found {
            Some(resolved) => resolved,
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
pub(crate) fn strip_mount<'p>(path: &'p str, root: &str) -> Option<&'p str> {
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

    fn id(id: &str) -> Matched<'_> {
        Matched {
            id: Some(id),
            ..Matched::default()
        }
    }

    #[test]
    fn literal_segments_win_over_ids() {
        assert_eq!(
            find_route(Verb::Get, &["count"], true, &[]),
            Some((Op::Count, Matched::default()))
        );
        assert_eq!(
            find_route(Verb::Get, &["FINDONE"], true, &[]),
            Some((Op::FindOne, Matched::default()))
        );
        assert_eq!(
            find_route(Verb::Get, &["7"], true, &[]),
            Some((Op::FindById, id("7")))
        );
        assert_eq!(
            find_route(Verb::Put, &["count"], true, &[]),
            Some((Op::ReplaceById, id("count")))
        );
        assert_eq!(find_route(Verb::Post, &["count"], true, &[]), None);
        assert_eq!(find_route(Verb::Delete, &[], true, &[]), None);
    }

    #[test]
    fn put_follows_replace_on_put() {
        assert_eq!(
            find_route(Verb::Put, &[], true, &[]),
            Some((Op::ReplaceOrCreate, Matched::default()))
        );
        assert_eq!(
            find_route(Verb::Put, &[], false, &[]),
            Some((Op::PatchOrCreate, Matched::default()))
        );
        assert_eq!(
            find_route(Verb::Put, &["1"], false, &[]),
            Some((Op::PatchAttributes, id("1")))
        );
    }

    #[test]
    fn relation_routes_match_by_kind() {
        let rel = |name: &str, kinds| RelRoute {
            name: name.to_owned(),
            path: name.to_owned(),
            kinds,
        };
        let rels = [
            rel("books", TO_MANY),
            rel("tags", TO_MANY | LINKS),
            rel("profile", HAS_ONE),
            rel("author", BELONGS_TO),
        ];
        let m = |id, rel, fk| Matched {
            id: Some(id),
            rel: Some(rel),
            fk,
        };
        let get = |segs: &[&'static str]| find_route(Verb::Get, segs, true, &rels);
        assert_eq!(get(&["1", "BOOKS"]), Some((Op::RelFind, m("1", 0, None))));
        assert_eq!(
            get(&["1", "books", "count"]),
            Some((Op::RelCount, m("1", 0, None)))
        );
        assert_eq!(
            get(&["1", "books", "7"]),
            Some((Op::RelFindById, m("1", 0, Some("7"))))
        );
        assert_eq!(
            get(&["1", "profile"]),
            Some((Op::RelGetOne, m("1", 2, None)))
        );
        assert_eq!(
            get(&["1", "author"]),
            Some((Op::RelGetBelongsTo, m("1", 3, None)))
        );
        assert_eq!(get(&["1", "author", "7"]), None);
        assert_eq!(get(&["1", "nope"]), None);
        assert_eq!(
            find_route(Verb::Put, &["1", "tags", "rel", "7"], true, &rels),
            Some((Op::RelLink, m("1", 1, Some("7"))))
        );
        assert_eq!(
            find_route(Verb::Put, &["1", "books", "rel", "7"], true, &rels),
            None
        );
        assert_eq!(
            find_route(Verb::Delete, &["1", "profile"], true, &rels),
            Some((Op::RelDestroy, m("1", 2, None)))
        );
        assert_eq!(
            find_route(Verb::Delete, &["1", "books"], true, &rels),
            Some((Op::RelDeleteAll, m("1", 0, None)))
        );
        assert_eq!(find_route(Verb::Post, &["1", "author"], true, &rels), None);
        assert_eq!(
            find_route(Verb::Patch, &["1", "profile"], true, &rels),
            None
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
