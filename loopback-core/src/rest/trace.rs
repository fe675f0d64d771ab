//! Request tracing: one `tracing` span per request (target `loopback::rest`), the route it
//! resolved to, and an event when it is answered. See the "Tracing" section of `docs/rest.md`.
//!
//! Without a subscriber interested in the span, nothing here formats or allocates: the span
//! is disabled and the request runs without it.

use std::time::Instant;

use http::{Method, StatusCode};
use tracing::field::{display, Empty};
use tracing::Span;

use super::routes::{self, ModelRoutes, Op, Resolved};

/// The target of every span and event of the REST layer.
pub(crate) const TARGET: &str = "loopback::rest";

/// The span of one request: `method` and `path` (never the query string, which may carry an
/// access token); `model`, `method_string`, `status` and `latency_us` are recorded later.
pub(crate) fn request_span(method: &Method, path: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "request",
        method = %method,
        path = path,
        model = Empty,
        method_string = Empty,
        status = Empty,
        latency_us = Empty,
    )
}

/// Records the model and LB3's method string (`Book.find`, `Book.prototype.__get__author`,
/// `Person.greet`) of the route a request resolved to.
pub(crate) fn record_route(span: &Span, resolved: &Resolved<'_, '_>) {
    if span.is_disabled() {
        return;
    }
    match resolved {
        Resolved::Call { model, op, matched } => {
            record_builtin(span, model, *op, matched.rel);
        }
        Resolved::Remote { model, route, .. } => {
            let name = model.handle.name();
            span.record("model", name);
            span.record(
                "method_string",
                display(format_args!("{name}.{}", route.entry.method.string_name())),
            );
        }
        Resolved::Nested { model, op, matched } => {
            let name = model.handle.name();
            span.record("model", name);
            let nest = model.nested.get(matched.nest);
            let rel = nest.and_then(|n| n.relations.get(matched.rel).map(|r| (n, r)));
            if let Some((nest, rel)) = rel {
                let method = routes::nested_method_name(*op, nest, rel);
                span.record("method_string", display(format_args!("{name}.{method}")));
            }
        }
        Resolved::NotFound(_) => {}
    }
}

fn record_builtin(span: &Span, model: &ModelRoutes, op: Op, rel: Option<usize>) {
    let name = model.handle.name();
    let method = routes::builtin_method_name(op, rel.and_then(|i| model.relations.get(i)));
    span.record("model", name);
    span.record("method_string", display(format_args!("{name}.{method}")));
}

/// Records the answer on the span and emits the `response` event (INFO) with the status and
/// the time taken to produce the response head, in microseconds.
pub(crate) fn finish(span: &Span, status: StatusCode, start: Instant) {
    let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = status.as_u16();
    span.record("status", status);
    span.record("latency_us", latency_us);
    tracing::info!(
        target: TARGET,
        parent: span,
        status,
        latency_us,
        "response"
    );
}
