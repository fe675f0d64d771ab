//! The API explorer: one self-contained HTML page (inline CSS and script, nothing loaded from
//! elsewhere) that reads the OpenAPI document and lists its operations by tag, each with a
//! form that sends the request and shows the answer.

/// The explorer page titled `title`, reading the OpenAPI document at `spec_url` (resolved
/// against the page's own URL).
pub(crate) fn explorer_page(title: &str, spec_url: &str) -> String {
    // A JSON string literal that cannot end the script element.
    let spec = serde_json::Value::from(spec_url)
        .to_string()
        .replace("</", "<\\/");
    PAGE.replace("{{TITLE}}", &html_escape(title))
        .replace("{{SPEC_HREF}}", &html_escape(spec_url))
        .replace("{{SPEC_JSON}}", &spec)
}

pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const PAGE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f6f9}
header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{margin:0;font-size:20px;font-weight:600}
header a{color:#9cc3ff;font-size:13px}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
#status{color:#666;margin:8px 0}
.tag{margin:18px 0 6px}
.tag>h2{font-size:18px;margin:0 0 2px;cursor:pointer;user-select:none}
.tag>h2::before{content:"\25BE  ";color:#888}
.tag.closed>h2::before{content:"\25B8  "}
.tag.closed>.ops{display:none}
.tag>p{margin:0 0 6px;color:#555}
details.op{background:#fff;border:1px solid #d8dde6;border-radius:6px;margin:5px 0}
details.op>summary{cursor:pointer;padding:7px 10px;display:flex;gap:10px;align-items:center;list-style:none}
details.op>summary::-webkit-details-marker{display:none}
.verb{display:inline-block;min-width:62px;text-align:center;font-weight:700;font-size:12px;color:#fff;border-radius:4px;padding:3px 6px;text-transform:uppercase}
.get{background:#2f80ed}.post{background:#27ae60}.put{background:#e2931d}.patch{background:#16a3a3}.delete{background:#d64545}.head{background:#8a63d2}
.path{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600}
.sum{color:#555;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.body{padding:4px 14px 14px;border-top:1px solid #e6e9ef}
.opid{color:#888;font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:5px 6px;border-bottom:1px solid #eef0f4;vertical-align:top}
th{font-size:12px;color:#666;font-weight:600}
td.n{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
.req{color:#d64545}
input[type=text],textarea,select{width:100%;font:13px ui-monospace,Menlo,Consolas,monospace;padding:5px 6px;border:1px solid #c9d0db;border-radius:4px;background:#fff}
textarea{min-height:90px;resize:vertical}
button{background:#1d2330;color:#fff;border:0;border-radius:4px;padding:7px 14px;font-weight:600;cursor:pointer}
button:hover{background:#37425a}
pre{background:#1d2330;color:#e8ecf3;padding:10px;border-radius:5px;overflow:auto;max-height:420px;font-size:12.5px;margin:6px 0}
.schema{background:#f7f8fb;color:#1d2330;max-height:260px}
.resp h4{margin:10px 0 2px}
.st{font-weight:700}.ok{color:#27ae60}.bad{color:#d64545}
.muted{color:#888;font-size:12px}
</style>
</head>
<body>
<header><h1>{{TITLE}}</h1><a href="{{SPEC_HREF}}">OpenAPI document</a></header>
<main><div id="status">Loading the API description…</div><div id="api"></div></main>
<script>
(function () {
  "use strict";
  var SPEC_URL = {{SPEC_JSON}};
  var specAbs = new URL(SPEC_URL, window.location.href);
  var spec = null;
  var verbs = ["get", "head", "post", "put", "patch", "delete", "options"];

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function resolve(s, depth) {
    depth = depth || 0;
    while (s && s.$ref && depth < 20) {
      var parts = s.$ref.replace(/^#\//, "").split("/");
      s = parts.reduce(function (o, p) { return o ? o[p.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined; }, spec);
      depth++;
    }
    return s || {};
  }

  function typeName(s, depth) {
    depth = depth || 0;
    if (!s) return "any";
    if (s.$ref) return s.$ref.split("/").pop();
    if (depth > 4) return "…";
    if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map(function (x) { return typeName(x, depth + 1); }).join(" | ");
    if (s.allOf) return s.allOf.map(function (x) { return typeName(x, depth + 1); }).join(" & ");
    if (s.type === "array") return "[" + typeName(s.items, depth + 1) + "]";
    return (s.type || "any") + (s.format ? " (" + s.format + ")" : "");
  }

  // An example value of a schema, for the body editor.
  function example(s, depth) {
    depth = depth || 0;
    s = resolve(s);
    if (depth > 3) return undefined;
    if (s.anyOf || s.oneOf) return example((s.anyOf || s.oneOf)[0], depth + 1);
    if (s.allOf) return example(s.allOf[0], depth + 1);
    switch (s.type) {
      case "object":
        var o = {};
        Object.keys(s.properties || {}).forEach(function (k) {
          var p = resolve(s.properties[k]);
          if (p.readOnly) return;
          var v = example(p, depth + 1);
          if (v !== undefined) o[k] = v;
        });
        return o;
      case "array": return [];
      case "string": return s.format === "date-time" ? new Date().toISOString() : "string";
      case "number": case "integer": return 0;
      case "boolean": return false;
      default: return undefined;
    }
  }

  function baseUrl() {
    var server = (spec.servers && spec.servers[0] && spec.servers[0].url) || "/";
    return new URL(server, specAbs).href.replace(/\/$/, "");
  }

  function paramSchema(p) {
    if (p.schema) return p.schema;
    var c = p.content && (p.content["application/json"] || p.content[Object.keys(p.content)[0]]);
    return c ? c.schema : {};
  }

  function renderOp(path, verb, op) {
    var inputs = [];
    var det = el("details", {cls: "op"});
    det.appendChild(el("summary", {}, [
      el("span", {cls: "verb " + verb, text: verb}),
      el("span", {cls: "path", text: path}),
      el("span", {cls: "sum", text: op.summary || ""})
    ]));
    var body = el("div", {cls: "body"});
    det.appendChild(body);
    var built = false;
    det.addEventListener("toggle", function () {
      if (!det.open || built) return;
      built = true;
      if (op.description) body.appendChild(el("p", {text: op.description}));
      body.appendChild(el("div", {cls: "opid", text: op.operationId || ""}));
      var params = op.parameters || [];
      if (params.length) {
        var tb = el("tbody");
        params.forEach(function (p) {
          p = resolve(p);
          var input = el("input", {type: "text", placeholder: p.content ? "JSON" : typeName(paramSchema(p))});
          inputs.push({p: p, input: input});
          tb.appendChild(el("tr", {}, [
            el("td", {cls: "n"}, [p.name, p.required ? el("span", {cls: "req", text: " *"}) : null]),
            el("td", {cls: "muted", text: p["in"] + (p.content ? " · JSON" : "") + " · " + typeName(paramSchema(p))}),
            el("td", {}, [input, p.description ? el("div", {cls: "muted", text: p.description}) : null])
          ]));
        });
        body.appendChild(el("table", {}, [el("thead", {}, [el("tr", {}, [
          el("th", {text: "Parameter"}), el("th", {text: "In · type"}), el("th", {text: "Value"})])]), tb]));
      }
      var bodyArea = null;
      var rb = op.requestBody && resolve(op.requestBody);
      if (rb && rb.content) {
        var media = Object.keys(rb.content)[0];
        var schema = rb.content[media].schema;
        bodyArea = el("textarea", {spellcheck: "false"});
        var ex = example(schema);
        bodyArea.value = ex === undefined ? "" : JSON.stringify(ex, null, 2);
        body.appendChild(el("h4", {text: "Body (" + media + ")" + (rb.required ? " *" : "") + " · " + typeName(schema)}));
        if (rb.description) body.appendChild(el("div", {cls: "muted", text: rb.description}));
        body.appendChild(bodyArea);
      }
      var responses = el("div", {cls: "muted"});
      Object.keys(op.responses || {}).forEach(function (code) {
        var r = resolve(op.responses[code]);
        var c = r.content && r.content[Object.keys(r.content)[0]];
        responses.appendChild(el("div", {text: code + ": " + (r.description || "") + (c ? " → " + typeName(c.schema) : "")}));
      });
      body.appendChild(el("h4", {text: "Responses"}));
      body.appendChild(responses);
      var out = el("div", {cls: "resp"});
      var btn = el("button", {type: "button", text: "Try it out"});
      btn.addEventListener("click", function () { send(path, verb, inputs, bodyArea, out); });
      body.appendChild(el("p", {}, [btn]));
      body.appendChild(out);
    });
    return det;
  }

  function send(path, verb, inputs, bodyArea, out) {
    var url = path, query = [], headers = {};
    var missing = [];
    inputs.forEach(function (x) {
      var v = x.input.value;
      if (v === "") { if (x.p.required) missing.push(x.p.name); return; }
      if (x.p["in"] === "path") url = url.split("{" + x.p.name + "}").join(encodeURIComponent(v));
      else if (x.p["in"] === "query") query.push(encodeURIComponent(x.p.name) + "=" + encodeURIComponent(v));
      else if (x.p["in"] === "header") headers[x.p.name] = v;
    });
    out.textContent = "";
    if (missing.length) {
      out.appendChild(el("p", {cls: "bad", text: "Required: " + missing.join(", ")}));
      return;
    }
    var full = baseUrl() + url + (query.length ? "?" + query.join("&") : "");
    var init = {method: verb.toUpperCase(), headers: headers};
    if (bodyArea && bodyArea.value.trim() !== "") {
      init.body = bodyArea.value;
      headers["Content-Type"] = "application/json";
    }
    out.appendChild(el("h4", {text: "Request"}));
    out.appendChild(el("pre", {text: init.method + " " + full + (init.body ? "\n\n" + init.body : "")}));
    var started = Date.now();
    fetch(full, init).then(function (res) {
      return res.text().then(function (text) {
        var shown = text;
        try { if (text) shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { shown = text; }
        var hs = [];
        res.headers.forEach(function (v, k) { hs.push(k + ": " + v); });
        out.appendChild(el("h4", {}, ["Response ", el("span", {
          cls: "st " + (res.ok ? "ok" : "bad"), text: res.status + " " + res.statusText}),
          el("span", {cls: "muted", text: "  " + (Date.now() - started) + " ms"})]));
        out.appendChild(el("pre", {text: shown || "(no body)"}));
        out.appendChild(el("details", {}, [el("summary", {cls: "muted", text: "Headers"}), el("pre", {text: hs.join("\n")})]));
      });
    }).catch(function (err) {
      out.appendChild(el("p", {cls: "bad", text: "Request failed: " + err}));
    });
  }

  function render() {
    var api = document.getElementById("api");
    var groups = {}, order = [];
    (spec.tags || []).forEach(function (t) { groups[t.name] = {tag: t, ops: []}; order.push(t.name); });
    Object.keys(spec.paths || {}).forEach(function (path) {
      verbs.forEach(function (verb) {
        var op = spec.paths[path][verb];
        if (!op) return;
        var tag = (op.tags && op.tags[0]) || "default";
        if (!groups[tag]) { groups[tag] = {tag: {name: tag}, ops: []}; order.push(tag); }
        groups[tag].ops.push([path, verb, op]);
      });
    });
    order.forEach(function (name) {
      var g = groups[name];
      if (!g.ops.length) return;
      var ops = el("div", {cls: "ops"});
      g.ops.forEach(function (o) { ops.appendChild(renderOp(o[0], o[1], o[2])); });
      var h = el("h2", {text: name});
      var sec = el("section", {cls: "tag"}, [h, g.tag.description ? el("p", {text: g.tag.description}) : null, ops]);
      h.addEventListener("click", function () { sec.classList.toggle("closed"); });
      api.appendChild(sec);
    });
    document.getElementById("status").textContent =
      (spec.info && spec.info.description ? spec.info.description + " " : "") + "Base URL: " + baseUrl();
  }

  fetch(specAbs.href, {headers: {Accept: "application/json"}})
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (s) { spec = s; render(); })
    .catch(function (e) { document.getElementById("status").textContent = "Could not load " + SPEC_URL + ": " + e; });
})();
</script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_reads_the_spec_and_loads_nothing_else() {
        let page = explorer_page("Books & <more>", "/explorer/openapi.json");
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("var SPEC_URL = \"/explorer/openapi.json\";"));
        assert!(page.contains("href=\"/explorer/openapi.json\""));
        assert!(page.contains("<title>Books &amp; &lt;more&gt;</title>"));
        assert!(!page.contains("http://"));
        assert!(!page.contains("https://"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("src="));
        assert!(!page.contains("{{"));
    }

    #[test]
    fn the_spec_url_cannot_close_the_script() {
        let page = explorer_page("t", "x</script><b>");
        assert!(page.contains(r#"var SPEC_URL = "x<\/script><b>";"#));
        assert_eq!(page.matches("</script>").count(), 1);
    }
}
