//! Access tokens: LB3's AccessToken as the request sees it, random ids, expiry, and a small
//! bounded cache so that an authenticated request does not always read the token table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value as Json};

use crate::error::{Error, Result};
use crate::value::{Record, Value};

/// LB3's default token length (`accessTokenIdLength`).
pub const DEFAULT_TOKEN_LENGTH: usize = 64;
/// LB3's default token lifetime: two weeks, in seconds.
pub const DEFAULT_TTL: i64 = 1_209_600;
/// LB3's default cap on a requested lifetime: one year, in seconds.
pub const DEFAULT_MAX_TTL: i64 = 31_556_926;
/// The scope every token and method has unless told otherwise.
pub const DEFAULT_SCOPE: &str = "DEFAULT";

/// A validated access token: who is calling. Built by the REST layer from the token model's
/// row; hooks and remote methods find it in [`Options::access_token`](crate::Options).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken {
    /// The token id (the secret the client sends).
    pub id: String,
    /// Lifetime in seconds; `-1` never expires (when the user model allows it).
    pub ttl: f64,
    /// When the token was created.
    pub created: DateTime<Utc>,
    /// The user's id, as stored.
    pub user_id: Option<Value>,
    /// The principal type ACLs and role mappings see: `USER`, or the user model's name when
    /// the token model's `user` relation is polymorphic (LB3's multiple-user set-up).
    pub principal_type: String,
    /// The user model that issued the token. Tokens resolved by the application always know
    /// it: from the row's `principalType`, or, for rows that do not record one, from the only
    /// user model storing its tokens in that token model.
    pub user_model: Option<String>,
    /// The token's scopes; empty means `DEFAULT`.
    pub scopes: Vec<String>,
    /// The application's id, for application tokens.
    pub app_id: Option<String>,
}

impl AccessToken {
    /// The token stored in `record` (a row of an AccessToken model), or `None` when the row
    /// lacks an id or a valid creation date.
    pub fn from_record(record: &Record) -> Option<Self> {
        let id = match record.get("id")? {
            Value::String(s) => s.clone(),
            _ => return None,
        };
        let ttl = match record.get("ttl") {
            Some(Value::Int(i)) => *i as f64,
            Some(Value::Float(f)) => *f,
            Some(Value::String(s)) => s.parse().ok()?,
            _ => return None,
        };
        let created = match record.get("created")? {
            Value::Date(d) => *d,
            Value::String(s) => DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc),
            _ => return None,
        };
        let user_id = record.get("userId").filter(|v| !v.is_null()).cloned();
        let principal_type = match record.get("principalType") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let scopes = match record.get("scopes") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let app_id = match record.get("appId") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Int(i)) => Some(i.to_string()),
            _ => None,
        };
        Some(AccessToken {
            id,
            ttl,
            created,
            user_id,
            user_model: principal_type.clone(),
            principal_type: principal_type.unwrap_or_else(|| "USER".to_owned()),
            scopes,
            app_id,
        })
    }

    /// LB3's `token.validate`: a positive ttl not yet elapsed, or `-1` where eternal tokens
    /// are allowed.
    pub fn is_valid_at(&self, now: DateTime<Utc>, allow_eternal: bool) -> bool {
        if self.ttl == -1.0 {
            return allow_eternal;
        }
        if self.ttl.is_nan() || self.ttl <= 0.0 || !self.ttl.is_finite() {
            return false;
        }
        let age_ms = (now - self.created).num_milliseconds() as f64;
        age_ms / 1000.0 < self.ttl
    }

    /// Whether the token's scopes meet a method's (`DEFAULT` on both sides when empty).
    pub fn allows_scopes(&self, method_scopes: &[String]) -> bool {
        let default = [DEFAULT_SCOPE.to_owned()];
        let mine: &[String] = if self.scopes.is_empty() {
            &default
        } else {
            &self.scopes
        };
        let theirs: &[String] = if method_scopes.is_empty() {
            &default
        } else {
            method_scopes
        };
        mine.iter().any(|s| theirs.contains(s))
    }

    /// Whether the token is one of a user of the model `model`: its [`user_model`](Self::user_model)
    /// when known, else (a token built by hand) LB3's rule: a `USER` token is any user
    /// model's, a typed one its model's.
    pub fn is_of_user_model(&self, model: &str) -> bool {
        match &self.user_model {
            Some(m) => m == model,
            None => self.principal_type == "USER" || self.principal_type == model,
        }
    }

    /// The user id as a string (`principalId` of a RoleMapping).
    pub fn user_id_string(&self) -> Option<String> {
        self.user_id.as_ref().and_then(value_to_id_string)
    }

    /// The token as LB3 answers it (`POST /login`).
    pub fn to_json(&self) -> Json {
        let mut o = serde_json::Map::new();
        o.insert("id".into(), json!(self.id));
        o.insert("ttl".into(), ttl_json(self.ttl));
        if !self.scopes.is_empty() {
            o.insert("scopes".into(), json!(self.scopes));
        }
        o.insert(
            "created".into(),
            json!(crate::value::format_date(&self.created)),
        );
        if let Some(u) = &self.user_id {
            o.insert("userId".into(), u.to_json());
        }
        Json::Object(o)
    }
}

fn ttl_json(ttl: f64) -> Json {
    if ttl.fract() == 0.0 && ttl.abs() < 9.0e15 {
        json!(ttl as i64)
    } else {
        json!(ttl)
    }
}

/// An id as the string LB3 compares ids with (`String(id)`); `None` for null and empty.
pub(crate) fn value_to_id_string(v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => (*f as i64).to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        other => match other.to_json() {
            Json::String(s) => s,
            j => j.to_string(),
        },
    };
    (!s.is_empty()).then_some(s)
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A new token id: `len` characters from `[A-Za-z0-9]`, drawn from the operating system's
/// random source without modulo bias.
pub fn generate_token_id(len: usize) -> Result<String> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 96];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("no random source: {e}")))?;
        // 62 * 4 = 248: bytes above that would favour the first letters.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[(*b % 62) as usize] as char);
        }
    }
    Ok(out)
}

/// A cached token, when it was read, and the token model it was read from.
type CachedToken = (Arc<AccessToken>, Instant, String);

/// Valid tokens seen recently, so that consecutive requests with one token read the token
/// table once. Entries live at most `lifetime` (and never past the token's own expiry, which
/// is checked on every use); logout, user deletion and credential changes drop them.
#[derive(Debug)]
pub(crate) struct TokenCache {
    /// By token id.
    entries: Mutex<HashMap<String, CachedToken>>,
    lifetime: Mutex<Duration>,
    capacity: usize,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache {
            entries: Mutex::new(HashMap::new()),
            lifetime: Mutex::new(Duration::from_secs(5)),
            capacity: 10_000,
        }
    }
}

impl TokenCache {
    pub(crate) fn set_lifetime(&self, lifetime: Duration) {
        *self.lifetime.lock().unwrap_or_else(|e| e.into_inner()) = lifetime;
        self.clear();
    }

    /// The cached token `id` of the token model `model` (a token read from another token
    /// model is not this one's).
    pub(crate) fn get(&self, model: &str, id: &str) -> Option<Arc<AccessToken>> {
        let lifetime = *self.lifetime.lock().unwrap_or_else(|e| e.into_inner());
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(id) {
            Some((t, at, m)) if at.elapsed() < lifetime => (m == model).then(|| t.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Caches `token`, read from the token model `model`.
    pub(crate) fn put(&self, model: &str, token: Arc<AccessToken>) {
        let lifetime = *self.lifetime.lock().unwrap_or_else(|e| e.into_inner());
        if lifetime.is_zero() {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity {
            map.retain(|_, (_, at, _)| at.elapsed() < lifetime);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(token.id.clone(), (token, Instant::now(), model.to_owned()));
    }

    pub(crate) fn remove(&self, id: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(ttl: f64, age_secs: i64) -> AccessToken {
        AccessToken {
            id: "t".into(),
            ttl,
            created: Utc::now() - chrono::Duration::seconds(age_secs),
            user_id: Some(Value::Int(1)),
            principal_type: "USER".into(),
            user_model: None,
            scopes: Vec::new(),
            app_id: None,
        }
    }

    #[test]
    fn ids_are_long_random_and_alphanumeric() {
        let a = generate_token_id(64).unwrap();
        let b = generate_token_id(64).unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        // Every character class shows up over many draws.
        let many = generate_token_id(4096).unwrap();
        assert!(many.bytes().any(|c| c.is_ascii_digit()));
        assert!(many.bytes().any(|c| c.is_ascii_lowercase()));
        assert!(many.bytes().any(|c| c.is_ascii_uppercase()));
    }

    #[test]
    fn expiry_follows_ttl() {
        let now = Utc::now();
        assert!(token(60.0, 10).is_valid_at(now, false));
        assert!(!token(60.0, 61).is_valid_at(now, false));
        assert!(!token(0.0, 0).is_valid_at(now, false));
        assert!(!token(-5.0, 0).is_valid_at(now, false));
        assert!(!token(-1.0, 0).is_valid_at(now, false));
        assert!(token(-1.0, 100_000_000).is_valid_at(now, true));
    }

    #[test]
    fn scopes_gate() {
        let t = token(60.0, 0);
        assert!(t.allows_scopes(&[]));
        assert!(!t.allows_scopes(&["reset-password".into()]));
        let mut r = token(60.0, 0);
        r.scopes = vec!["reset-password".into()];
        assert!(!r.allows_scopes(&[]));
        assert!(r.allows_scopes(&["reset-password".into()]));
    }

    #[test]
    fn reads_a_token_row() {
        let mut rec = Record::new();
        rec.insert("id", Value::String("abc".into()));
        rec.insert("ttl", Value::Int(60));
        rec.insert("created", Value::Date(Utc::now()));
        rec.insert("userId", Value::Int(7));
        let t = AccessToken::from_record(&rec).unwrap();
        assert_eq!(t.principal_type, "USER");
        assert_eq!(t.user_id_string().as_deref(), Some("7"));
        let j = t.to_json();
        assert_eq!(j["ttl"], 60);
        assert_eq!(j["userId"], 7);
        rec.insert("created", Value::Null);
        assert!(AccessToken::from_record(&rec).is_none());
    }

    #[test]
    fn cache_expires_and_forgets() {
        let c = TokenCache::default();
        let t = Arc::new(token(60.0, 0));
        c.put("AccessToken", t.clone());
        assert!(c.get("AccessToken", "t").is_some());
        // A token read from one token model is not another's.
        assert!(c.get("OtherToken", "t").is_none());
        c.remove("t");
        assert!(c.get("AccessToken", "t").is_none());
        c.put("AccessToken", t);
        c.set_lifetime(Duration::ZERO);
        assert!(c.get("AccessToken", "t").is_none());
    }
}
