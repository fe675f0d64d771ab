//! The built-in models of LB3's `loopback/common/models`: their definitions, with the same
//! properties, relations, hidden properties and ACLs as LoopBack 3.28, so that existing
//! tables keep working and `base: "User"` inherits what it did.

use crate::model::ModelDefinition;
use crate::validation::{ValidationKind, ValidationRule};

/// What a model is, when it is (or extends) one of the built-in auth models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinKind {
    /// `User`: login, passwords, tokens.
    User,
    /// `AccessToken`.
    AccessToken,
    /// `Role`.
    Role,
    /// `RoleMapping`.
    RoleMapping,
    /// `ACL`: dynamic ACL rows.
    Acl,
    /// `Application`: client applications and their keys.
    Application,
}

impl BuiltinKind {
    /// The built-in model of that name (LB3's spelling).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "User" => BuiltinKind::User,
            "AccessToken" => BuiltinKind::AccessToken,
            "Role" => BuiltinKind::Role,
            "RoleMapping" => BuiltinKind::RoleMapping,
            "ACL" => BuiltinKind::Acl,
            "Application" => BuiltinKind::Application,
            _ => return None,
        })
    }

    /// The model's name.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinKind::User => "User",
            BuiltinKind::AccessToken => "AccessToken",
            BuiltinKind::Role => "Role",
            BuiltinKind::RoleMapping => "RoleMapping",
            BuiltinKind::Acl => "ACL",
            BuiltinKind::Application => "Application",
        }
    }
}

const USER: &str = r#"{
  "name": "User",
  "properties": {
    "realm": {"type": "string"},
    "username": {"type": "string"},
    "password": {"type": "string", "required": true},
    "email": {"type": "string", "required": true},
    "emailVerified": "boolean",
    "verificationToken": "string"
  },
  "options": {"caseSensitiveEmail": true},
  "hidden": ["password", "verificationToken"],
  "acls": [
    {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
    {"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "create"},
    {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW", "property": "deleteById"},
    {"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "login"},
    {"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "logout"},
    {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW", "property": "findById"},
    {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW", "property": "patchAttributes"},
    {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW", "property": "replaceById"},
    {"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "verify", "accessType": "EXECUTE"},
    {"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "confirm"},
    {"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "resetPassword", "accessType": "EXECUTE"},
    {"principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW", "property": "changePassword", "accessType": "EXECUTE"},
    {"principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW", "property": "setPassword", "accessType": "EXECUTE"}
  ],
  "relations": {
    "accessTokens": {"type": "hasMany", "model": "AccessToken", "foreignKey": "userId", "options": {"disableInclude": true}}
  }
}"#;

const ACCESS_TOKEN: &str = r#"{
  "name": "AccessToken",
  "properties": {
    "id": {"type": "string", "id": true},
    "ttl": {"type": "number", "ttl": true, "default": 1209600},
    "scopes": {"type": ["string"]},
    "created": {"type": "Date", "defaultFn": "now"},
    "principalType": {"type": "string"}
  },
  "relations": {"user": {"type": "belongsTo", "model": "User", "foreignKey": "userId"}},
  "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}]
}"#;

const ROLE: &str = r#"{
  "name": "Role",
  "properties": {
    "id": {"type": "string", "id": true, "generated": true},
    "name": {"type": "string", "required": true},
    "description": "string",
    "created": {"type": "date", "defaultFn": "now"},
    "modified": {"type": "date", "defaultFn": "now"}
  },
  "relations": {"principals": {"type": "hasMany", "model": "RoleMapping", "foreignKey": "roleId"}}
}"#;

const ROLE_MAPPING: &str = r#"{
  "name": "RoleMapping",
  "description": "Map principals to roles",
  "properties": {
    "id": {"type": "string", "id": true, "generated": true},
    "principalType": {"type": "string"},
    "principalId": {"type": "string", "index": true}
  },
  "relations": {"role": {"type": "belongsTo", "model": "Role", "foreignKey": "roleId"}}
}"#;

const ACL: &str = r#"{
  "name": "ACL",
  "properties": {
    "model": {"type": "string"},
    "property": {"type": "string"},
    "accessType": "string",
    "permission": "string",
    "principalType": "string",
    "principalId": "string"
  }
}"#;

const APPLICATION: &str = r#"{
  "name": "Application",
  "properties": {
    "id": {"type": "string", "id": true},
    "realm": {"type": "string"},
    "name": {"type": "string", "required": true},
    "description": "string",
    "icon": {"type": "string"},
    "owner": {"type": "string"},
    "collaborators": {"type": ["string"]},
    "email": "string",
    "emailVerified": "boolean",
    "url": {"type": "string"},
    "callbackUrls": {"type": ["string"]},
    "permissions": {"type": ["string"]},
    "clientKey": "string",
    "javaScriptKey": "string",
    "restApiKey": "string",
    "windowsKey": "string",
    "masterKey": "string",
    "pushSettings": {"type": "object"},
    "authenticationEnabled": {"type": "boolean", "default": true},
    "anonymousAllowed": {"type": "boolean", "default": true},
    "authenticationSchemes": {"type": ["object"]},
    "status": {"type": "string", "default": "sandbox"},
    "created": {"type": "date", "defaultFn": "now"},
    "modified": {"type": "date", "defaultFn": "now"}
  }
}"#;

/// The definition of a built-in model, as LB3 3.28 declares it, with the validations LB3
/// adds in code (User's email format and uniqueness, Role's unique name). AccessToken also
/// has an optional `principalType` string, the user model of each token (LB3's has it only
/// with a polymorphic `user` relation), so that several user models can share it.
pub fn builtin_definition(kind: BuiltinKind) -> ModelDefinition {
    let text = match kind {
        BuiltinKind::User => USER,
        BuiltinKind::AccessToken => ACCESS_TOKEN,
        BuiltinKind::Role => ROLE,
        BuiltinKind::RoleMapping => ROLE_MAPPING,
        BuiltinKind::Acl => ACL,
        BuiltinKind::Application => APPLICATION,
    };
    // The texts are constants of this file, checked by a test; a failure is a bug here.
    let mut def =
        ModelDefinition::from_lb3_str(text).unwrap_or_else(|_| ModelDefinition::new(kind.name()));
    if kind == BuiltinKind::Role {
        let mut unique = ValidationRule::new(
            "name",
            ValidationKind::Uniqueness {
                scoped_to: Vec::new(),
                ignore_case: false,
            },
        );
        unique.message = Some("already exists".into());
        def.validations.push(unique);
    }
    def
}

/// The validations LB3's `User.setup` adds to every user model, which depend on the model's
/// realm settings: a well-formed email, and email and username unique (per realm when both
/// `realmRequired` and `realmDelimiter` are set).
pub(crate) fn user_validations(def: &ModelDefinition) -> Vec<ValidationRule> {
    let realm_scoped = def.setting("realmRequired").is_some_and(truthy)
        && def.setting("realmDelimiter").is_some_and(truthy);
    let scoped_to = if realm_scoped {
        vec!["realm".to_owned()]
    } else {
        Vec::new()
    };
    let mut email = ValidationRule::new(
        "email",
        ValidationKind::Format {
            with: Some(EMAIL_PATTERN.to_owned()),
            without: None,
        },
    );
    // LB3's custom email validator reports `is invalid` with code `custom.email`.
    email.message = Some("is invalid".into());
    email.code = Some("custom.email".into());
    email.allow_null = true;
    email.allow_blank = true;
    let mut unique_email = ValidationRule::new(
        "email",
        ValidationKind::Uniqueness {
            scoped_to: scoped_to.clone(),
            ignore_case: false,
        },
    );
    unique_email.message = Some("Email already exists".into());
    let mut unique_username = ValidationRule::new(
        "username",
        ValidationKind::Uniqueness {
            scoped_to,
            ignore_case: false,
        },
    );
    unique_username.message = Some("User already exists".into());
    vec![email, unique_email, unique_username]
}

/// An address with one `@`, a local part and a dotted or plain domain, and none of the
/// characters RFC 5322 reserves outside quotes.
const EMAIL_PATTERN: &str = r#"^[^\s@<>()\[\],;:\\"]+@[^\s@<>()\[\],;:\\"]+$"#;

pub(crate) fn truthy(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        serde_json::Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_definition_parses() {
        for text in [USER, ACCESS_TOKEN, ROLE, ROLE_MAPPING, ACL, APPLICATION] {
            let def = ModelDefinition::from_lb3_str(text).expect("built-in definition");
            assert!(BuiltinKind::from_name(&def.name).is_some(), "{}", def.name);
        }
        let user = builtin_definition(BuiltinKind::User);
        assert_eq!(user.acls.len(), 13);
        assert_eq!(user.hidden, ["password", "verificationToken"]);
        assert!(user.relations.contains_key("accessTokens"));
        let token = builtin_definition(BuiltinKind::AccessToken);
        let pt = token
            .properties
            .get("principalType")
            .expect("principalType");
        assert!(!pt.required);
        let role = builtin_definition(BuiltinKind::Role);
        assert_eq!(role.validations.len(), 1);
    }

    #[test]
    fn user_validations_follow_realm_settings() {
        let mut def = builtin_definition(BuiltinKind::User);
        let v = user_validations(&def);
        assert_eq!(v.len(), 3);
        assert!(
            matches!(&v[1].kind, ValidationKind::Uniqueness { scoped_to, .. } if scoped_to.is_empty())
        );
        def.options.insert("realmRequired".into(), true.into());
        def.options.insert("realmDelimiter".into(), ":".into());
        let v = user_validations(&def);
        assert!(
            matches!(&v[2].kind, ValidationKind::Uniqueness { scoped_to, .. } if scoped_to == &["realm"])
        );
        let re = regex::Regex::new(EMAIL_PATTERN).unwrap();
        assert!(re.is_match("alice@example.com"));
        assert!(re.is_match("a.b+c@host"));
        assert!(!re.is_match("nope"));
        assert!(!re.is_match("a b@example.com"));
        assert!(!re.is_match("a@b@c"));
    }
}
