//! The query-string bracket syntax (`filter[where][price][gt]=10`).
//!
//! The raw query is decoded the way the `qs` package (Express's extended query parser, which
//! LoopBack 3 uses) decodes it: `&`-separated parameters, `+` as a space, percent-decoding with
//! malformed escapes left as they are, `%5B`/`%5D` as brackets, bracket segments building
//! objects, `[]` and repeated keys building arrays, indices below 20 building arrays and larger
//! ones object keys. The resulting JSON tree is then parsed by [`Filter::from_json`], so both
//! encodings give the same AST and the same errors. Unlike `qs`, which silently truncates,
//! too many parameters and too deep brackets are 400s.

use std::borrow::Cow;

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::parse::canonical_index;
use super::{Filter, ParseOptions, Where};
use crate::error::{Error, Result};

/// More parameters than this in one query string are refused (`qs`'s `parameterLimit`).
const PARAMETER_LIMIT: usize = 1000;

/// Indices at or above this build object keys instead of array slots (`qs`'s `arrayLimit`).
const ARRAY_LIMIT: usize = 20;

impl Filter {
    /// Parses the `filter` parameter of a raw (still percent-encoded) query string; accepts
    /// both `filter={json}` and `filter[...]=...` forms. `Ok(None)` when absent (or empty, or
    /// `null`).
    ///
    /// ```
    /// use loopback_core::{Filter, ParseOptions};
    ///
    /// let opts = ParseOptions::default();
    /// let a = Filter::from_query_string("filter[where][odo][gt]=5000&filter[limit]=3", &opts)?;
    /// let b = Filter::from_query_string(r#"filter={"where":{"odo":{"gt":"5000"}},"limit":3}"#, &opts)?;
    /// assert_eq!(a, b);
    /// # Ok::<(), loopback_core::Error>(())
    /// ```
    pub fn from_query_string(query: &str, opts: &ParseOptions<'_>) -> Result<Option<Self>> {
        match parameter_json(query, "filter", opts)? {
            Some(json) => Filter::from_json(&json, opts).map(Some),
            None => Ok(None),
        }
    }
}

impl Where {
    /// Parses the `where` parameter of a raw query string (count, update). `Ok(None)` when absent.
    pub fn from_query_string(query: &str, opts: &ParseOptions<'_>) -> Result<Option<Self>> {
        match parameter_json(query, "where", opts)? {
            Some(json) => Where::from_json(&json, opts).map(Some),
            None => Ok(None),
        }
    }
}

/// The value of query parameter `name` as Express's `qs` parser gives it: a string, an array
/// (repeated keys, `[]`), or an object (bracket keys); `None` when absent. Strings are not
/// interpreted (remote method arguments convert them by their declared type).
#[cfg(feature = "rest")]
pub(crate) fn query_value(query: &str, name: &str) -> Result<Option<Json>> {
    Ok(collect(query, name, 32)?.map(Node::into_json))
}

/// A whole `application/x-www-form-urlencoded` text (or query string) as the object Express's
/// extended `urlencoded` parser makes of it: one key per root name, values built as
/// [`query_value`] builds them.
#[cfg(feature = "rest")]
pub(crate) fn form_object(text: &str) -> Result<Json> {
    let mut names: Vec<String> = Vec::new();
    for part in text
        .split('&')
        .filter(|p| !p.is_empty())
        .take(PARAMETER_LIMIT + 1)
    {
        let part = brackets_decoded(part);
        let raw_key = part.split('=').next().unwrap_or_default();
        let key = decode(raw_key);
        if let Some((root, _)) = split_root(&key) {
            if !names.iter().any(|n| n == root) {
                names.push(root.to_owned());
            }
        }
    }
    let mut out = serde_json::Map::new();
    for name in names {
        if let Some(node) = collect(text, &name, 32)? {
            out.insert(name, node.into_json());
        }
    }
    Ok(Json::Object(out))
}

/// The JSON value of parameter `name`: decoded JSON text for `name={...}`, the bracket tree
/// for `name[...]=...`.
fn parameter_json(query: &str, name: &str, opts: &ParseOptions<'_>) -> Result<Option<Json>> {
    let Some(node) = collect(query, name, opts.max_depth)? else {
        return Ok(None);
    };
    match node {
        Node::Str(text) => json_text(&text, name),
        Node::Obj(obj) => Ok(Some(Node::Obj(obj).into_json())),
        Node::Arr(_) => Err(Error::filter(
            name,
            format!(
                "The {name} parameter must be given once, either as JSON ({name}={{...}}) or in \
                 the bracket syntax ({name}[key]=value)"
            ),
        )),
    }
}

/// `filter={...}`: strong-remoting reads an empty value or `null` as absent and JSON-parses
/// anything that looks like an object.
fn json_text(text: &str, name: &str) -> Result<Option<Json>> {
    if text.is_empty() || text == "null" {
        return Ok(None);
    }
    if !text.trim_start().starts_with('{') {
        return Err(Error::filter(
            name,
            format!(
                "The {name} parameter must be a JSON object ({name}={{...}}) or use the bracket \
                 syntax ({name}[key]=value)"
            ),
        ));
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| Error::filter(name, format!("The {name} parameter is not valid JSON: {e}")))
}

// ---------------------------------------------------------------------------------------------
// qs-style tree

/// A value as `qs` builds it: strings at the leaves, arrays (possibly sparse until the end),
/// objects.
enum Node {
    Str(String),
    Arr(Vec<Option<Node>>),
    Obj(Obj),
}

struct Obj {
    map: IndexMap<String, Node>,
    /// Set when the object stands for an array that outgrew the array limit: the largest
    /// numeric key, so that further values are appended after it.
    overflow: Option<usize>,
}

/// Two values that cannot be merged: a plain value and nested keys for the same key.
struct Conflict;

impl Node {
    fn is_container(&self) -> bool {
        !matches!(self, Node::Str(_))
    }

    fn into_json(self) -> Json {
        match self {
            Node::Str(s) => Json::String(s),
            Node::Arr(items) => {
                Json::Array(items.into_iter().flatten().map(Node::into_json).collect())
            }
            Node::Obj(o) => {
                Json::Object(o.map.into_iter().map(|(k, v)| (k, v.into_json())).collect())
            }
        }
    }
}

/// An array past the limit becomes an object keyed by index.
fn overflowed(items: Vec<Option<Node>>) -> Node {
    let last = items.len().saturating_sub(1);
    let map = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, n)| n.map(|n| (i.to_string(), n)))
        .collect();
    Node::Obj(Obj {
        map,
        overflow: Some(last),
    })
}

fn array(items: Vec<Option<Node>>) -> Node {
    if items.len() > ARRAY_LIMIT {
        overflowed(items)
    } else {
        Node::Arr(items)
    }
}

fn to_obj(items: Vec<Option<Node>>) -> Obj {
    let map = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, n)| n.map(|n| (i.to_string(), n)))
        .collect();
    Obj {
        map,
        overflow: None,
    }
}

/// The value one parameter contributes: `leaf` wrapped in one node per segment.
fn chain(segments: &[Segment<'_>], leaf: String) -> Node {
    let mut node = Node::Str(leaf);
    for segment in segments.iter().rev() {
        node = match segment {
            Segment::Push => Node::Arr(vec![Some(node)]),
            Segment::Index(i) => {
                let mut items: Vec<Option<Node>> = (0..*i).map(|_| None).collect();
                items.push(Some(node));
                Node::Arr(items)
            }
            Segment::Key(k) => {
                let mut map = IndexMap::with_capacity(1);
                map.insert((*k).to_owned(), node);
                Node::Obj(Obj {
                    map,
                    overflow: None,
                })
            }
        };
    }
    node
}

/// `merge(target, chain(segments, leaf))`, done in place: objects are descended into, and only
/// the part of the chain that is new is built.
fn insert(target: &mut Node, segments: &[Segment<'_>], leaf: String) -> Result<(), Conflict> {
    if let (Node::Obj(o), Some((first, rest))) = (&mut *target, segments.split_first()) {
        // An object meeting `[3]` or `[]` takes them as the keys "3" and "0", as in `qs`.
        let key: Cow<'_, str> = match first {
            Segment::Key(k) => Cow::Borrowed(k),
            Segment::Index(i) => Cow::Owned(i.to_string()),
            Segment::Push => Cow::Borrowed("0"),
        };
        if let (Some(max), Some(i)) = (o.overflow, canonical_index(&key)) {
            o.overflow = Some(max.max(i));
        }
        return match o.map.get_mut(key.as_ref()) {
            Some(child) => insert(child, rest, leaf),
            None => {
                o.map.insert(key.into_owned(), chain(rest, leaf));
                Ok(())
            }
        };
    }
    let existing = std::mem::replace(target, Node::Str(String::new()));
    *target = merge(existing, chain(segments, leaf))?;
    Ok(())
}

/// `qs`'s `utils.merge`, with one difference: a plain value meeting nested keys is an error
/// instead of `{key: true}`-style surprises.
fn merge(target: Node, source: Node) -> Result<Node, Conflict> {
    match (target, source) {
        (Node::Str(t), Node::Str(s)) => Ok(Node::Arr(vec![Some(Node::Str(t)), Some(Node::Str(s))])),
        (Node::Arr(mut t), Node::Str(s)) => {
            t.push(Some(Node::Str(s)));
            Ok(array(t))
        }
        (Node::Obj(mut o), Node::Str(s)) => match o.overflow {
            Some(max) => {
                o.map.insert((max + 1).to_string(), Node::Str(s));
                o.overflow = Some(max + 1);
                Ok(Node::Obj(o))
            }
            None => Err(Conflict),
        },
        (Node::Str(t), Node::Arr(s)) => {
            let mut items = Vec::with_capacity(s.len() + 1);
            items.push(Some(Node::Str(t)));
            items.extend(s);
            Ok(array(items))
        }
        (Node::Str(t), Node::Obj(s)) => match s.overflow {
            Some(max) => {
                let mut map = IndexMap::with_capacity(s.map.len() + 1);
                map.insert("0".to_owned(), Node::Str(t));
                for (k, v) in s.map {
                    let k = canonical_index(&k).map_or(k, |i| (i + 1).to_string());
                    map.insert(k, v);
                }
                Ok(Node::Obj(Obj {
                    map,
                    overflow: Some(max + 1),
                }))
            }
            None => Ok(Node::Arr(vec![Some(Node::Str(t)), Some(Node::Obj(s))])),
        },
        (Node::Arr(mut t), Node::Arr(s)) => {
            for (i, item) in s.into_iter().enumerate() {
                let Some(item) = item else { continue };
                if i >= t.len() {
                    t.resize_with(i + 1, || None);
                }
                match t[i].take() {
                    None => t[i] = Some(item),
                    Some(existing) if existing.is_container() && item.is_container() => {
                        t[i] = Some(merge(existing, item)?);
                    }
                    Some(existing) => {
                        t[i] = Some(existing);
                        t.push(Some(item));
                    }
                }
            }
            Ok(array(t))
        }
        (Node::Arr(t), Node::Obj(s)) => merge_entries(to_obj(t), s.map.into_iter(), s.overflow),
        (Node::Obj(t), Node::Arr(s)) => {
            let entries = s
                .into_iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (i.to_string(), n)));
            merge_entries(t, entries, None)
        }
        (Node::Obj(t), Node::Obj(s)) => merge_entries(t, s.map.into_iter(), s.overflow),
    }
}

fn merge_entries(
    mut target: Obj,
    entries: impl Iterator<Item = (String, Node)>,
    source_overflow: Option<usize>,
) -> Result<Node, Conflict> {
    if target.overflow.is_none() && source_overflow.is_some() {
        let max_key = target.map.keys().filter_map(|k| canonical_index(k)).max();
        target.overflow = max_key.max(source_overflow);
    }
    for (k, v) in entries {
        if let (Some(max), Some(i)) = (target.overflow, canonical_index(&k)) {
            target.overflow = Some(max.max(i));
        }
        match target.map.get_mut(&k) {
            Some(slot) => {
                let existing = std::mem::replace(slot, Node::Str(String::new()));
                *slot = merge(existing, v)?;
            }
            None => {
                target.map.insert(k, v);
            }
        }
    }
    Ok(Node::Obj(target))
}

// ---------------------------------------------------------------------------------------------
// Splitting and decoding

/// One bracket segment of a key after the root.
enum Segment<'k> {
    /// `[]`: append.
    Push,
    /// `[3]`: an index below the array limit.
    Index(usize),
    /// `[name]`, a large index, or an unterminated `[rest` kept literally.
    Key(&'k str),
}

/// A key path in the style of the JSON parser's errors: `filter.where.or[3].id`.
fn render_path(name: &str, segments: &[Segment<'_>]) -> String {
    let mut out = name.to_owned();
    for segment in segments {
        match segment {
            Segment::Push => out.push_str("[]"),
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            Segment::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
        }
    }
    out
}

/// Builds the tree of parameter `name` from the whole query string; `None` when absent.
fn collect(query: &str, name: &str, max_depth: usize) -> Result<Option<Node>> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut count = 0usize;
    let mut root: Option<Node> = None;
    for part in query.split('&') {
        if part.is_empty() {
            continue;
        }
        count += 1;
        if count > PARAMETER_LIMIT {
            return Err(Error::filter(
                name,
                format!("The query string has more than {PARAMETER_LIMIT} parameters"),
            ));
        }
        // Cheap skip of unrelated parameters: without escapes the key (the text before the
        // first `=`) must start with the name.
        let key_text = part.split('=').next().unwrap_or(part);
        if !key_text.starts_with(name)
            && !key_text.starts_with('[')
            && !key_text.contains(['%', '+'])
        {
            continue;
        }
        let part = brackets_decoded(part);
        let bytes = part.as_bytes();
        let split = match bytes.windows(2).position(|w| w == b"]=") {
            Some(p) => Some(p + 1),
            None => bytes.iter().position(|&b| b == b'='),
        };
        let (raw_key, raw_value) = match split {
            Some(p) => (&part[..p], &part[p + 1..]),
            None => (&part[..], ""),
        };
        let key = decode(raw_key);
        let Some((root_key, rest)) = split_root(&key) else {
            continue;
        };
        if root_key != name {
            continue;
        }
        let segments = split_segments(rest, max_depth).ok_or_else(|| Error::InvalidFilter {
            path: render_path(
                name,
                &split_segments(rest, max_depth + 1).unwrap_or_default(),
            ),
            message: format!("The query object exceeds maximum depth {max_depth}"),
            code: Some("QUERY_OBJECT_TOO_DEEP"),
        })?;
        let leaf = decode(raw_value).into_owned();
        match &mut root {
            None => root = Some(chain(&segments, leaf)),
            Some(tree) => insert(tree, &segments, leaf).map_err(|Conflict| {
                Error::filter(
                    render_path(name, &segments),
                    format!("`{key}` is given both as a value and with nested keys"),
                )
            })?,
        }
    }
    Ok(root)
}

/// The root key (text before the first `[`, or the first bracket's content when the key starts
/// with one) and the rest of the key.
fn split_root(key: &str) -> Option<(&str, &str)> {
    match key.find('[') {
        None if key.is_empty() => None,
        None => Some((key, "")),
        Some(0) => {
            let close = matching_bracket(key, 0)?;
            Some((&key[1..close], &key[close + 1..]))
        }
        Some(i) => Some((&key[..i], &key[i..])),
    }
}

/// The index of the `]` that closes the `[` at `open`, counting nested brackets.
fn matching_bracket(key: &str, open: usize) -> Option<usize> {
    let mut level = 0usize;
    for (i, b) in key.bytes().enumerate().skip(open) {
        match b {
            b'[' => level += 1,
            b']' => {
                level = level.saturating_sub(1);
                if level == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The bracket groups of `rest` as `qs` splits them: balanced groups, text between groups
/// ignored, an unterminated group kept as one literal key. `None` when there are more than
/// `max_depth` groups.
fn split_segments(rest: &str, max_depth: usize) -> Option<Vec<Segment<'_>>> {
    let mut segments = Vec::new();
    let mut open = rest.find('[');
    while let Some(o) = open {
        if segments.len() >= max_depth {
            return None;
        }
        let Some(close) = matching_bracket(rest, o) else {
            segments.push(Segment::Key(&rest[o..]));
            break;
        };
        let content = &rest[o + 1..close];
        segments.push(match content {
            "" => Segment::Push,
            _ => match canonical_index(content) {
                Some(i) if i < ARRAY_LIMIT => Segment::Index(i),
                _ => Segment::Key(content),
            },
        });
        open = rest[close + 1..].find('[').map(|i| close + 1 + i);
    }
    Some(segments)
}

/// `%5B`/`%5D` (any case) as brackets, as `qs` does before splitting keys from values.
fn brackets_decoded(part: &str) -> Cow<'_, str> {
    let b = part.as_bytes();
    let escaped_bracket = |i: usize| {
        b[i] == b'%' && b[i + 1] == b'5' && matches!(b[i + 2], b'b' | b'B' | b'd' | b'D')
    };
    // Most parts, escaped JSON values among them, hold no escaped bracket: nothing to copy.
    let Some(first) = (0..b.len().saturating_sub(2)).find(|&i| escaped_bracket(i)) else {
        return Cow::Borrowed(part);
    };
    let mut out = String::with_capacity(part.len());
    let mut last = 0;
    let mut i = first;
    while i + 2 < b.len() {
        if escaped_bracket(i) {
            out.push_str(&part[last..i]);
            out.push(if matches!(b[i + 2], b'b' | b'B') {
                '['
            } else {
                ']'
            });
            i += 3;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&part[last..]);
    Cow::Owned(out)
}

/// `decodeURIComponent` after `+` → space; a malformed escape or invalid UTF-8 leaves the text
/// undecoded (with its `+`s as spaces), as `qs` does.
fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return if s.contains('+') {
            Cow::Owned(s.replace('+', " "))
        } else {
            Cow::Borrowed(s)
        };
    }
    let spaced = s.replace('+', " ");
    let b = spaced.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
            match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => return Cow::Owned(spaced),
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Owned(spaced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decode_follows_decode_uri_component() {
        assert_eq!(decode("a+b%20c"), "a b c");
        assert_eq!(decode("%E2%9C%93"), "✓");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz+x"), "%zz x");
        assert_eq!(decode("%C3"), "%C3");
        assert_eq!(decode("%ED%A0%80"), "%ED%A0%80");
    }

    #[test]
    fn brackets_are_decoded_before_splitting() {
        assert_eq!(
            brackets_decoded("filter%5Bwhere%5d%5Ba%5D=1"),
            "filter[where][a]=1"
        );
        assert_eq!(brackets_decoded("a%5"), "a%5");
        // Escaped values without escaped brackets are not copied.
        assert!(matches!(
            brackets_decoded("filter=%7B%22a%22%3A1%7D"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn only_keys_decide_which_parameters_are_read() {
        // Escapes in other parameters' values do not make them candidates; escapes in a key
        // are decoded before it is compared.
        let q = "filter=%7B%22where%22%3A%7B%7D%7D&x=a%26b&access%5Ftoken=t1";
        assert_eq!(query_value(q, "access_token").unwrap(), Some(json!("t1")));
        assert_eq!(
            query_value(q, "filter").unwrap(),
            Some(json!("{\"where\":{}}"))
        );
        assert_eq!(query_value(q, "x").unwrap(), Some(json!("a&b")));
        assert_eq!(query_value(q, "where").unwrap(), None);
        let q = "a=1&%61ccess_token=t2&b+c=2";
        assert_eq!(query_value(q, "access_token").unwrap(), Some(json!("t2")));
        assert_eq!(query_value(q, "b c").unwrap(), Some(json!("2")));
    }

    #[test]
    fn segments_follow_qs() {
        let path = |rest| render_path("filter", &split_segments(rest, 32).unwrap());
        assert_eq!(path("[where][and][0][title]"), "filter.where.and[0].title");
        assert_eq!(path("[a]x[b][c"), "filter.a.b.[c");
        assert_eq!(path("[a[b]][20][][01]"), "filter.a[b].20[].01");
        assert!(split_segments("[a][b][c]", 2).is_none());
        assert_eq!(split_root("[filter][a]"), Some(("filter", "[a]")));
        assert_eq!(split_root("[filter"), None);
    }
}
