//! The behaviour of application models (LB3's `common/models/application.js`): keys and ids
//! generated on full saves, `register`, `authenticate` and `resetKeys`.
//!
//! LB3 facts this follows (recorded with loopback 3.28 on Node):
//!
//! - every save that carries a whole instance (create, replace, `replaceOrCreate`, `save`)
//!   regenerates the five keys, whatever the caller sent; partial updates (patch,
//!   `updateAll`, `upsert`) leave them alone, so an `upsert` that creates a record gives it no
//!   keys, as in LB3;
//! - a key is the hex HMAC-SHA1, keyed with the key's name (`client`, `javaScript`,
//!   `restApi`, `windows`, `master`), of 32 random bytes: 40 hex digits; a missing (or empty)
//!   `id` becomes the hex HMAC-MD5 keyed `id` of 32 random bytes: 32 hex digits;
//! - `authenticate` checks the keys in that order and answers the application with the name
//!   of the first key that matches, or nothing.
//!
//! - `created` and `modified` are set to the time of every full save (a replace too resets
//!   `created`, as in LB3).
//!
//! Where this differs, on purpose: LB3's `authenticate` matched a missing key with a
//! missing argument (`undefined === undefined`), so an application without keys accepted no
//! key at all; here an absent or empty key never matches, and keys are compared in constant
//! time. LB3's `resetKeys` with an unknown id crashed; here it is a 404 not-found error.

use chrono::{SubsecRound, Utc};
use hmac::{Hmac, Mac};

use super::password::constant_time_eq;
use super::user::model_of_ctx;
use crate::app::ModelHandle;
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::hooks::{HookContext, HookKind};
use crate::value::{Record, Value};

/// One of an application's five keys, in the order [`ModelHandle::authenticate_application`]
/// checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationKey {
    /// `clientKey`.
    Client,
    /// `javaScriptKey`.
    JavaScript,
    /// `restApiKey`.
    RestApi,
    /// `windowsKey`.
    Windows,
    /// `masterKey`.
    Master,
}

impl ApplicationKey {
    /// Every key, in LB3's order.
    pub const ALL: [ApplicationKey; 5] = [
        ApplicationKey::Client,
        ApplicationKey::JavaScript,
        ApplicationKey::RestApi,
        ApplicationKey::Windows,
        ApplicationKey::Master,
    ];

    /// The property holding the key, which is also LB3's `keyType` (`clientKey`, ...).
    pub fn property(self) -> &'static str {
        match self {
            ApplicationKey::Client => "clientKey",
            ApplicationKey::JavaScript => "javaScriptKey",
            ApplicationKey::RestApi => "restApiKey",
            ApplicationKey::Windows => "windowsKey",
            ApplicationKey::Master => "masterKey",
        }
    }

    /// The HMAC key LB3 generates this key with (`client`, `javaScript`, ...).
    fn hmac_key(self) -> &'static str {
        match self {
            ApplicationKey::Client => "client",
            ApplicationKey::JavaScript => "javaScript",
            ApplicationKey::RestApi => "restApi",
            ApplicationKey::Windows => "windows",
            ApplicationKey::Master => "master",
        }
    }
}

/// What [`ModelHandle::authenticate_application`] found (LB3's `{application, keyType}`).
#[derive(Debug, Clone)]
pub struct AuthenticatedApplication {
    /// The application, as stored.
    pub application: Record,
    /// The key that matched.
    pub key_type: ApplicationKey,
}

/// The hex HMAC of 32 random bytes, keyed with `key` (LB3's `generateKey`).
fn random_hmac<M: Mac + hmac::digest::KeyInit>(key: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no random source: {e}")))?;
    let mut mac = <M as Mac>::new_from_slice(key.as_bytes())
        .map_err(|e| Error::Internal(format!("HMAC key: {e}")))?;
    mac.update(&bytes);
    Ok(hex(&mac.finalize().into_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// A new application key: 40 hex digits.
fn generate_key(key: ApplicationKey) -> Result<String> {
    random_hmac::<Hmac<sha1::Sha1>>(key.hmac_key())
}

/// A new application id: 32 hex digits.
fn generate_id() -> Result<String> {
    random_hmac::<Hmac<md5::Md5>>("id")
}

/// Puts five new keys into `app`.
fn put_new_keys(app: &mut Record) -> Result<()> {
    for key in ApplicationKey::ALL {
        app.insert(key.property(), Value::String(generate_key(key)?));
    }
    Ok(())
}

/// The current time as JavaScript has it (milliseconds), so that it reads back unchanged.
fn now() -> Value {
    Value::Date(Utc::now().trunc_subsecs(3))
}

fn is_missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// Hooks of an application model (subclasses run their base's).
pub(crate) fn install(model: &ModelHandle) {
    if model.inherits_builtin_hooks() {
        return;
    }
    let m = model.clone();
    model.observe(HookKind::BeforeSave, move |ctx| {
        let m = model_of_ctx(&m, &ctx);
        async move { before_save(m, ctx).await }
    });
}

/// LB3's `before save`: only saves carrying a whole instance get new keys and dates.
async fn before_save(model: ModelHandle, mut ctx: HookContext) -> Result<HookContext> {
    let id_name = model.definition().id_name().to_owned();
    let Some(instance) = ctx.instance.as_mut() else {
        return Ok(ctx);
    };
    // As LB3: `created` and `modified` are the time of every full save.
    let now = now();
    instance.insert("created", now.clone());
    instance.insert("modified", now);
    if is_missing(instance.get(&id_name)) {
        instance.insert(id_name, Value::String(generate_id()?));
    }
    put_new_keys(instance)?;
    Ok(ctx)
}

impl ModelHandle {
    /// Registers an application (LB3's `Application.register`): creates it with `owner`,
    /// `name` and the other properties of `props`, which cannot override `owner` or `name`.
    /// Its id (unless `props` gives one) and keys are generated. A missing or empty owner or
    /// name is a 400 error.
    pub async fn register_application(
        &self,
        owner: impl Into<Value>,
        name: &str,
        props: Record,
        options: &Options,
    ) -> Result<Record> {
        let owner = owner.into();
        if is_missing(Some(&owner)) {
            return Err(Error::bad_request("owner is required"));
        }
        if name.is_empty() {
            return Err(Error::bad_request("name is required"));
        }
        let mut data = Record::with_capacity(props.len() + 2);
        data.insert("owner", owner);
        data.insert("name", name);
        for (k, v) in props {
            if k != "owner" && k != "name" {
                data.insert(k, v);
            }
        }
        self.create(data, options).await
    }

    /// Authenticates an application by id and key (LB3's `Application.authenticate`): the
    /// application with the first of its keys (in [`ApplicationKey::ALL`]'s order) equal to
    /// `key`, or `None` when the application is unknown or no key matches. Keys are
    /// compared in constant time, and an empty `key` never matches.
    pub async fn authenticate_application(
        &self,
        app_id: impl Into<Value>,
        key: &str,
        options: &Options,
    ) -> Result<Option<AuthenticatedApplication>> {
        let app_id = app_id.into();
        if is_missing(Some(&app_id)) || key.is_empty() {
            return Ok(None);
        }
        let Some(application) = self.find_by_id(app_id, None, options).await? else {
            return Ok(None);
        };
        // Every key is compared, so that the time taken does not tell which one matched.
        let mut matched = None;
        for k in ApplicationKey::ALL {
            let equal = match application.get(k.property()) {
                Some(Value::String(stored)) if !stored.is_empty() => {
                    constant_time_eq(stored.as_bytes(), key.as_bytes())
                }
                _ => false,
            };
            if equal && matched.is_none() {
                matched = Some(k);
            }
        }
        Ok(matched.map(|key_type| AuthenticatedApplication {
            application,
            key_type,
        }))
    }

    /// Gives an application five new keys and a new `modified` date, and saves it (LB3's
    /// `Application.resetKeys`). Answers the saved application; an unknown id is
    /// [`Error::NotFound`] (404).
    pub async fn reset_application_keys(
        &self,
        app_id: impl Into<Value>,
        options: &Options,
    ) -> Result<Record> {
        let app_id = app_id.into();
        let Some(mut application) = self.find_by_id(app_id.clone(), None, options).await? else {
            return Err(Error::NotFound {
                model: self.name().to_owned(),
                id: app_id.to_string(),
            });
        };
        // The `before save` hook generates them again on the way; setting them here keeps the
        // method right for a subclass that replaced the hook.
        put_new_keys(&mut application)?;
        application.insert("modified", now());
        self.save(application, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_hex(s: &str, len: usize) -> bool {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn keys_and_ids_have_lb3_format() {
        let a = generate_key(ApplicationKey::Client).unwrap();
        let b = generate_key(ApplicationKey::Client).unwrap();
        assert!(is_hex(&a, 40), "{a}");
        assert_ne!(a, b);
        let id = generate_id().unwrap();
        assert!(is_hex(&id, 32), "{id}");
    }

    #[test]
    fn hmac_matches_known_vectors() {
        // RFC 2202 test case 2 (HMAC-SHA1 and HMAC-MD5 of "what do ya want for nothing?").
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        let mut mac = <Hmac<md5::Md5> as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "750c783e6ab0b503eaa86e310a5db738"
        );
    }

    #[test]
    fn key_names_follow_lb3() {
        let names: Vec<_> = ApplicationKey::ALL.iter().map(|k| k.property()).collect();
        assert_eq!(
            names,
            [
                "clientKey",
                "javaScriptKey",
                "restApiKey",
                "windowsKey",
                "masterKey"
            ]
        );
    }
}
