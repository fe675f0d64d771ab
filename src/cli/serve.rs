//! `loopback serve DIR`, `loopback routes DIR` and `loopback openapi DIR`: boot an LB3
//! application folder, then serve it, list its routes, or print its OpenAPI document.

use std::process::ExitCode;

use clap::Args;

use super::{boot, AppArgs};

/// Serve an LB3 application folder: its REST API, explorer and static files.
///
/// Boots the folder as loopback-boot does (config, data sources, models, middleware,
/// components), prints what it cannot run (JavaScript), and serves it over HTTP/1.1 and
/// HTTP/2 until Ctrl-C or SIGTERM, then finishes the requests in flight. An invalid folder is
/// not served: every problem is printed with its file and key, and the exit code is 1.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    app: AppArgs,
    /// The port (default: PORT, else `port` of config.json, else 3000). 0 picks a free port.
    #[arg(long, short)]
    port: Option<u16>,
    /// The host to listen on (default: HOST, else `host` of config.json, else 0.0.0.0).
    #[arg(long)]
    host: Option<String>,
}

/// Runs `serve`.
pub async fn run(args: ServeArgs) -> ExitCode {
    let booted = match boot(&args.app, "nothing is served").await {
        Ok(b) => b,
        Err(code) => return code,
    };
    let plan = booted.plan();
    let host = args.host.clone().unwrap_or_else(|| plan.host().to_owned());
    let port = args.port.unwrap_or(plan.port());
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(l) => l,
        Err(e) => return super::failure(format!("cannot listen on {host}:{port}: {e}")),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return super::failure(e),
    };
    let shown = if host == "0.0.0.0" || host == "::" {
        "localhost".to_owned()
    } else {
        host.clone()
    };
    println!("Web server listening at: http://{shown}:{}", addr.port());
    if let Some(explorer) = plan.explorer() {
        println!(
            "Browse your REST API at http://{shown}:{}{explorer}",
            addr.port()
        );
    }
    let api = booted.rest_api();
    match loopback::rest::serve(listener, api, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::failure(e),
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    eprintln!("shutting down: finishing the requests in flight");
}

/// Print the route table of an LB3 application folder, with each route's ACL summary.
///
/// One line per route: verb, path, the method's name (as ACLs name it), its access type, and
/// what the static ACLs decide for an anonymous and for an authenticated caller (`ALLOW`,
/// `DENY`, or `$owner`/role-dependent).
#[derive(Debug, Args)]
pub struct RoutesArgs {
    #[command(flatten)]
    app: AppArgs,
}

/// Runs `routes`.
pub async fn routes(args: RoutesArgs) -> ExitCode {
    let booted = match boot(&args.app, "nothing is listed").await {
        Ok(b) => b,
        Err(code) => return code,
    };
    let api = booted.rest_api();
    let app = booted.app();
    let mut routes = api.routes();
    routes.extend(api.relation_routes());
    routes.extend(api.remote_routes());
    let width = routes.iter().map(|r| r.path.len()).max().unwrap_or(0);
    let mwidth = routes.iter().map(|r| r.method.len()).max().unwrap_or(0);
    if !app.is_auth_enabled() {
        println!("# access control is not enabled: every route is open");
    }
    for r in &routes {
        let acl = if app.is_auth_enabled() {
            acl_summary(app, r)
        } else {
            String::new()
        };
        println!(
            "{:<7} {:<width$}  {:<mwidth$}  {:<8} {acl}",
            r.verb,
            r.path,
            r.method,
            r.access_type.as_str()
        );
    }
    ExitCode::SUCCESS
}

/// What the static ACLs decide for a route: for an anonymous caller, for an authenticated
/// one with no role, and for each other role a matching rule names. Rules for single users
/// or applications, and rows of the ACL model, are not summarised.
fn acl_summary(app: &loopback::App, route: &loopback::rest::Route) -> String {
    use loopback::auth::acl::{matching_score, AccessRequest};
    use loopback::auth::{static_permission, static_rules, Permission, PrincipalType};
    let model = route.method.split('.').next().unwrap_or_default();
    let Some(def) = app.definition_of(model) else {
        return String::new();
    };
    let names: Vec<&str> = route.acl_names.iter().map(String::as_str).collect();
    let decide = |roles: &[&str]| match static_permission(&def, &names, route.access_type, roles) {
        Permission::Deny => "DENY",
        _ => "ALLOW",
    };
    let mut parts = vec![
        format!("anonymous:{}", decide(&["$everyone", "$unauthenticated"])),
        format!("authenticated:{}", decide(&["$everyone", "$authenticated"])),
    ];
    let req = AccessRequest {
        model,
        property: names[0],
        method_names: &names,
        access_type: route.access_type,
    };
    // The other roles a rule for this method names (`$owner`, `admin`).
    let mut others: Vec<String> = Vec::new();
    for r in static_rules(&def, &names) {
        let generic = matches!(
            r.principal_id.as_str(),
            "$everyone" | "$unauthenticated" | "$authenticated"
        );
        if r.principal_type != PrincipalType::Role
            || generic
            || matching_score(&r, &req).is_none()
            || others.contains(&r.principal_id)
        {
            continue;
        }
        others.push(r.principal_id);
    }
    for role in &others {
        parts.push(format!(
            "{role}:{}",
            decide(&["$everyone", "$authenticated", role])
        ));
    }
    parts.join(" ")
}

/// Print the OpenAPI 3 document of an LB3 application folder (JSON, on stdout).
#[derive(Debug, Args)]
pub struct OpenApiArgs {
    #[command(flatten)]
    app: AppArgs,
}

/// Runs `openapi`.
pub async fn openapi(args: OpenApiArgs) -> ExitCode {
    let booted = match boot(&args.app, "nothing is listed").await {
        Ok(b) => b,
        Err(code) => return code,
    };
    let doc = booted.rest_api().openapi();
    match serde_json::to_string_pretty(&doc) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => super::failure(e),
    }
}
