//! `loopback serve DIR`, `loopback routes DIR` and `loopback openapi DIR`: boot an LB3
//! application folder, then serve it, list its routes, or print its OpenAPI document.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loopback::boot::{BootOptions, Booted};

/// The options every command that boots a folder takes.
#[derive(Debug, Args)]
pub struct AppArgs {
    /// The application folder (the project folder holding `server/`, or `server/` itself).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The environment choosing the `.{env}` override files (default: NODE_ENV, else
    /// `development`).
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
}

impl AppArgs {
    fn options(&self) -> BootOptions {
        let mut o = BootOptions::new();
        if let Some(e) = &self.env {
            o = o.env(e.clone());
        }
        o
    }
}

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

/// Boots the folder, printing warnings; `Err` is the exit code after printing problems.
pub async fn boot(args: &AppArgs) -> Result<Booted, ExitCode> {
    match loopback::boot::boot(&args.dir, &args.options()).await {
        Ok(b) => {
            for w in b.plan().warnings() {
                eprintln!("warning: {w}");
            }
            Ok(b)
        }
        Err(loopback::Error::Boot(e)) => {
            for p in &e.problems {
                eprintln!("error: {p}");
            }
            eprintln!(
                "error: {} has {} problem(s); nothing is served",
                args.dir.display(),
                e.problems.len()
            );
            Err(ExitCode::from(1))
        }
        Err(e) => Err(super::failure(format!(
            "cannot boot {}: {e}",
            args.dir.display()
        ))),
    }
}

/// Runs `serve`.
pub async fn run(args: ServeArgs) -> ExitCode {
    let booted = match boot(&args.app).await {
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
    let booted = match boot(&args.app).await {
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
        let (access, acl) = acl_summary(app, &r.method);
        println!(
            "{:<7} {:<width$}  {:<mwidth$}  {:<8} {}",
            r.verb, r.path, r.method, access, acl
        );
    }
    ExitCode::SUCCESS
}

/// The access type of `Model.method` and what the static ACLs decide: for an anonymous
/// caller, for an authenticated one with no role, and for each other role a rule names.
fn acl_summary(app: &loopback::App, method: &str) -> (String, String) {
    use loopback::auth::{
        acl::{resolve, AccessRequest, AclRule, Permission, PrincipalType},
        builtin_access_type, AccessType,
    };
    let (model, name) = method.split_once('.').unwrap_or((method, method));
    let short = name.strip_prefix("prototype.").unwrap_or(name);
    let access = builtin_access_type(short).unwrap_or_else(|| {
        app.model(model)
            .and_then(|m| {
                m.remote_methods()
                    .into_iter()
                    .find(|rm| rm.string_name() == name || rm.name == short)
            })
            .map_or(AccessType::Execute, |rm| rm.effective_access_type())
    });
    if !app.is_auth_enabled() {
        return (access.as_str().to_owned(), String::new());
    }
    let Some(def) = app.definition_of(model) else {
        return (access.as_str().to_owned(), String::new());
    };
    let rules: Vec<AclRule> = def
        .acls
        .iter()
        .map(|e| AclRule::from_entry(model, e))
        .collect();
    let names = [short];
    let req = AccessRequest {
        model,
        property: short,
        method_names: &names,
        access_type: access,
    };
    let default = def
        .setting("defaultPermission")
        .and_then(|v| v.as_str())
        .and_then(Permission::parse)
        .unwrap_or(Permission::Allow);
    let decide = |roles: &[&str]| -> &'static str {
        let applicable: Vec<AclRule> = rules
            .iter()
            .filter(|r| {
                r.principal_type == PrincipalType::Role && roles.contains(&r.principal_id.as_str())
            })
            .cloned()
            .collect();
        let p = resolve(&applicable, &req).permission;
        let p = if p == Permission::Unspecified {
            default
        } else {
            p
        };
        if p == Permission::Deny {
            "DENY"
        } else {
            "ALLOW"
        }
    };
    let mut parts = vec![
        format!("anonymous:{}", decide(&["$everyone", "$unauthenticated"])),
        format!("authenticated:{}", decide(&["$everyone", "$authenticated"])),
    ];
    let mut others: Vec<String> = Vec::new();
    for r in &rules {
        let id = r.principal_id.as_str();
        let generic = matches!(id, "$everyone" | "$unauthenticated" | "$authenticated");
        let matches = loopback::auth::acl::matching_score(r, &req).is_some();
        if !generic && matches {
            let label = match r.principal_type {
                PrincipalType::Role => id.to_owned(),
                ref t => format!("{}:{id}", t.as_str()),
            };
            if !others.contains(&label) {
                others.push(label);
            }
        }
    }
    for label in others {
        let role = label.as_str();
        parts.push(format!(
            "{role}:{}",
            decide(&["$everyone", "$authenticated", role])
        ));
    }
    (access.as_str().to_owned(), parts.join(" "))
}

/// Print the OpenAPI 3 document of an LB3 application folder (JSON, on stdout).
#[derive(Debug, Args)]
pub struct OpenApiArgs {
    #[command(flatten)]
    app: AppArgs,
}

/// Runs `openapi`.
pub async fn openapi(args: OpenApiArgs) -> ExitCode {
    let booted = match boot(&args.app).await {
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
