//! Static files (LB3's `loopback#static`, Express's `serve-static`): `GET`/`HEAD` under a
//! mount path answer a file of a folder; anything else falls through to the API. Paths are
//! checked segment by segment and the file must resolve inside the folder, so `..`,
//! encoded separators and symbolic links out of it cannot reach other files.

use std::path::{Path, PathBuf};

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};

use super::body::RestBody;

/// A folder served under a URL path.
#[derive(Debug, Clone)]
pub(crate) struct StaticDir {
    /// Without a trailing slash; empty for `/`.
    mount: String,
    /// Canonical, so that resolved files can be checked to lie inside it.
    dir: PathBuf,
}

impl StaticDir {
    /// `dir` is resolved (symbolic links, `..`) once, here: it should exist by then.
    pub(crate) fn new(mount: &str, dir: PathBuf) -> Self {
        let mount = mount.trim_end_matches('/');
        let mount = if mount.is_empty() || mount.starts_with('/') {
            mount.to_owned()
        } else {
            format!("/{mount}")
        };
        let dir = dir.canonicalize().unwrap_or(dir);
        StaticDir { mount, dir }
    }

    /// The file `path` names under this mount (matched ignoring case, as mount paths are),
    /// if it exists inside the folder.
    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let rest = super::routes::strip_mount(path, &self.mount)?;
        let mut file = self.dir.clone();
        for seg in rest.split('/').filter(|s| !s.is_empty()) {
            let seg = percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .ok()?;
            if seg == "." || seg == ".." || seg.contains(['/', '\\', '\0']) || seg.starts_with('.')
            {
                return None;
            }
            file.push(seg.as_ref());
        }
        if file.is_dir() {
            file.push("index.html");
        }
        let real = file.canonicalize().ok()?;
        (real.starts_with(&self.dir) && real.is_file()).then_some(real)
    }
}

/// The answer of the first mount holding the file, or `None` to fall through.
pub(crate) async fn respond(
    dirs: &[StaticDir],
    path: &str,
    head: bool,
) -> Option<Response<RestBody>> {
    for d in dirs {
        let Some(file) = d.resolve(path) else {
            continue;
        };
        let Ok(bytes) = tokio::fs::read(&file).await else {
            continue;
        };
        let len = bytes.len();
        let mut res = Response::new(if head {
            RestBody::empty()
        } else {
            RestBody::new(bytes)
        });
        *res.status_mut() = StatusCode::OK;
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
        res.headers_mut()
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
        return Some(res);
    }
    None
}

fn content_type(file: &Path) -> &'static str {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=UTF-8",
        "css" => "text/css; charset=UTF-8",
        "js" | "mjs" => "application/javascript; charset=UTF-8",
        "json" | "map" => "application/json; charset=UTF-8",
        "txt" => "text/plain; charset=UTF-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_inside_the_folder_only() {
        let tmp = tempfile::tempdir().unwrap();
        let public = tmp.path().join("client");
        std::fs::create_dir_all(public.join("css")).unwrap();
        std::fs::write(public.join("index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(public.join("css/a.css"), "a{}").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "no").unwrap();
        let dirs = [StaticDir::new("/", public.clone())];

        let res = respond(&dirs, "/", false).await.unwrap();
        assert_eq!(res.headers()[CONTENT_TYPE], "text/html; charset=UTF-8");
        assert_eq!(res.body().as_bytes(), b"<h1>hi</h1>");
        let res = respond(&dirs, "/css/a.css", true).await.unwrap();
        assert_eq!(res.headers()[CONTENT_TYPE], "text/css; charset=UTF-8");
        assert!(res.body().as_bytes().is_empty());

        for bad in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/css/..%2f..%2fsecret.txt",
            "/css%5c..%5c..%5csecret.txt",
            "/nothing.html",
            "/%00",
        ] {
            assert!(respond(&dirs, bad, false).await.is_none(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret.txt"), public.join("link.txt"))
                .unwrap();
            assert!(respond(&dirs, "/link.txt", false).await.is_none());
        }
        let mounted = [StaticDir::new("/assets", public)];
        assert!(respond(&mounted, "/assets/index.html", false)
            .await
            .is_some());
        assert!(respond(&mounted, "/assetsx/index.html", false)
            .await
            .is_none());
        assert!(respond(&mounted, "/index.html", false).await.is_none());
    }
}
