//! The ACL engine: LB3's access types, permissions, principals, the matching score
//! (`ACL.getMatchingScore`) and the resolution of a set of rules (`ACL.resolvePermission`).
//!
//! Everything here is pure: which rules apply to a caller (roles) is decided in
//! [`App::check_access`](crate::App::check_access).

use std::borrow::Borrow;
use std::fmt;

use crate::model::AclEntry;

/// What a method does with the data, LB3's `accessType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessType {
    /// `READ`: reads data.
    Read,
    /// `WRITE`: changes data.
    Write,
    /// `EXECUTE`: anything else (custom methods, login, ...).
    Execute,
    /// `REPLICATE`: change replication.
    Replicate,
    /// `*`: every access type.
    All,
}

impl AccessType {
    /// Parses LB3's spelling (`READ`, `WRITE`, `EXECUTE`, `REPLICATE`, `*`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "READ" => AccessType::Read,
            "WRITE" => AccessType::Write,
            "EXECUTE" => AccessType::Execute,
            "REPLICATE" => AccessType::Replicate,
            "*" => AccessType::All,
            _ => return None,
        })
    }

    /// LB3's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessType::Read => "READ",
            AccessType::Write => "WRITE",
            AccessType::Execute => "EXECUTE",
            AccessType::Replicate => "REPLICATE",
            AccessType::All => "*",
        }
    }
}

impl fmt::Display for AccessType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ACL's permission, ordered as LB3 orders them (`DEFAULT < ALLOW < ALARM < AUDIT < DENY`):
/// the order breaks ties between equally specific rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// LB3's `DEFAULT`, not specified: settled by the model's `defaultPermission` (ALLOW
    /// unless set). Not named `Default`, which would make the compiler spell the `Default`
    /// trait in full in the diagnostics of every crate using this one.
    Unspecified,
    /// Grants access.
    Allow,
    /// Grants access (LB3 gives it no further meaning).
    Alarm,
    /// Grants access (LB3 gives it no further meaning).
    Audit,
    /// Denies access.
    Deny,
}

impl Permission {
    /// Parses LB3's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "DEFAULT" => Permission::Unspecified,
            "ALLOW" => Permission::Allow,
            "ALARM" => Permission::Alarm,
            "AUDIT" => Permission::Audit,
            "DENY" => Permission::Deny,
            _ => return None,
        })
    }

    /// LB3's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Unspecified => "DEFAULT",
            Permission::Allow => "ALLOW",
            Permission::Alarm => "ALARM",
            Permission::Audit => "AUDIT",
            Permission::Deny => "DENY",
        }
    }

    /// LB3's `permissionOrder` (DEFAULT 0 … DENY 4).
    fn order(self) -> i64 {
        self as i64
    }
}

/// The kind of principal an ACL names (`principalType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// `USER`: a user of the application's only user model.
    User,
    /// `APP`: a registered application.
    App,
    /// `ROLE`: a role, static or dynamic (`$owner`, `$authenticated`, …).
    Role,
    /// Anything else: with several user models, the user model's name.
    Other(String),
}

impl PrincipalType {
    /// Parses LB3's spelling; unknown names are [`PrincipalType::Other`].
    pub fn parse(s: &str) -> Self {
        match s {
            "USER" => PrincipalType::User,
            "APP" | "APPLICATION" => PrincipalType::App,
            "ROLE" => PrincipalType::Role,
            other => PrincipalType::Other(other.to_owned()),
        }
    }

    /// LB3's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            PrincipalType::User => "USER",
            PrincipalType::App => "APP",
            PrincipalType::Role => "ROLE",
            PrincipalType::Other(s) => s,
        }
    }

    fn weight(&self) -> i64 {
        match self {
            PrincipalType::User => 4,
            PrincipalType::App => 3,
            PrincipalType::Role => 2,
            PrincipalType::Other(_) => 1,
        }
    }
}

/// The dynamic role everyone is in.
pub const EVERYONE: &str = "$everyone";
/// The dynamic role of callers with a valid token.
pub const AUTHENTICATED: &str = "$authenticated";
/// The dynamic role of callers without a valid token.
pub const UNAUTHENTICATED: &str = "$unauthenticated";
/// The dynamic role of the caller owning the instance addressed.
pub const OWNER: &str = "$owner";
/// A role LB3 weighs but never resolves (only a static role of that name can match).
pub const RELATED: &str = "$related";

/// One ACL rule, static (from a model definition) or dynamic (a row of the ACL model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclRule {
    /// The model the rule is about, or `*`.
    pub model: String,
    /// Method names (`find`, `__get__orders`, `prototype.patchAttributes` is written
    /// `patchAttributes`); `*` matches every method.
    pub property: Vec<String>,
    /// The access type the rule is about.
    pub access_type: AccessType,
    /// Allow or deny.
    pub permission: Permission,
    /// Who the rule is about.
    pub principal_type: PrincipalType,
    /// A role name, or a user or application id.
    pub principal_id: String,
}

impl AclRule {
    /// The rule a static ACL entry of `model` stands for. Unknown spellings (already rejected
    /// when a definition is parsed) fall back to LB3's defaults: `*` and ALLOW.
    pub fn from_entry(model: &str, entry: &AclEntry) -> Self {
        AclRule {
            model: model.to_owned(),
            property: if entry.property.is_empty() {
                vec!["*".to_owned()]
            } else {
                entry.property.clone()
            },
            access_type: AccessType::parse(&entry.access_type).unwrap_or(AccessType::All),
            permission: Permission::parse(&entry.permission).unwrap_or(Permission::Allow),
            principal_type: PrincipalType::parse(&entry.principal_type),
            principal_id: entry.principal_id.clone(),
        }
    }

    /// Whether the rule names `method_names` (or every method), as LB3's `getStaticACLs`
    /// keeps rules; aliases count too, where LB3 compared the canonical name only.
    pub fn names_method(&self, method_names: &[&str]) -> bool {
        self.property
            .iter()
            .any(|p| p == "*" || method_names.iter().any(|m| m == p))
    }
}

/// What a caller asks to do: LB3's `AccessRequest`.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// The model name, or `*`.
    pub model: &'a str,
    /// The method's canonical name, or `*`.
    pub property: &'a str,
    /// The method's name and its aliases.
    pub method_names: &'a [&'a str],
    /// The method's access type.
    pub access_type: AccessType,
}

impl AccessRequest<'_> {
    /// Whether any level is a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.model == "*" || self.property == "*" || self.access_type == AccessType::All
    }

    fn exactly_matches(&self, rule: &AclRule) -> bool {
        rule.model == self.model
            && rule.access_type == self.access_type
            && rule
                .property
                .iter()
                .any(|p| p == self.property || self.method_names.contains(&p.as_str()))
    }
}

/// LB3's `ACL.getMatchingScore`: how specifically `rule` addresses `req`, or `None` when it
/// does not apply. Higher is more specific; the permission breaks ties (DENY highest).
pub fn matching_score(rule: &AclRule, req: &AccessRequest<'_>) -> Option<i64> {
    let mut score: i64 = 0;
    // Model.
    score = score * 4 + level(&rule.model, req.model, false)?;
    // Property: the best of the rule's names (a static rule may list several).
    let prop = rule
        .property
        .iter()
        .filter_map(|p| {
            let method = req.method_names.contains(&p.as_str());
            level(p, req.property, method)
        })
        .max()?;
    score = score * 4 + prop;
    // Access type: EXECUTE matches any request, WRITE matches REPLICATE.
    let r = rule.access_type;
    let q = req.access_type;
    let access = if r == q
        || (r == AccessType::Execute && q != AccessType::All)
        || (r == AccessType::Write && q == AccessType::Replicate)
    {
        3
    } else if r == AccessType::All {
        2
    } else if q == AccessType::All {
        1
    } else {
        return None;
    };
    score = score * 4 + access;
    score = score * 4 + rule.principal_type.weight();
    let role = if rule.principal_type == PrincipalType::Role {
        match rule.principal_id.as_str() {
            OWNER => 4,
            RELATED => 3,
            AUTHENTICATED | UNAUTHENTICATED => 2,
            EVERYONE => 1,
            _ => 5,
        }
    } else {
        0
    };
    score = score * 8 + role;
    Some(score * 4 + rule.permission.order() - 1)
}

/// One level of the score: exact 3, wildcard rule 2, wildcard request 1, else no match.
fn level(rule: &str, req: &str, method_match: bool) -> Option<i64> {
    if method_match || rule == req {
        Some(3)
    } else if rule == "*" {
        Some(2)
    } else if req == "*" {
        Some(1)
    } else {
        None
    }
}

/// The outcome of resolving rules for a request (before the model's default permission).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The permission decided; [`Permission::Unspecified`] when no rule matched.
    pub permission: Permission,
    /// Index (in the slice given) of the rule that decided, if one did.
    pub decided_by: Option<usize>,
}

/// LB3's `ACL.resolvePermission`: sorts the rules that apply to the caller by
/// [`matching_score`] (stable, highest first) and picks the permission. For a concrete request
/// the most specific rule wins; for a wildcard request the first exact match wins, else the
/// strongest permission among the matching rules.
///
/// `rules` may be owned rules or references to them.
pub fn resolve<R: Borrow<AclRule>>(rules: &[R], req: &AccessRequest<'_>) -> Resolution {
    let mut scored: Vec<(i64, usize)> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| matching_score(r.borrow(), req).map(|s| (s, i)))
        .collect();
    // Stable: equal scores keep their order (dynamic rules before static ones).
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = Resolution {
        permission: Permission::Unspecified,
        decided_by: None,
    };
    for &(_, i) in &scored {
        let rule: &AclRule = rules[i].borrow();
        if !req.is_wildcard() || req.exactly_matches(rule) {
            return Resolution {
                permission: rule.permission,
                decided_by: Some(i),
            };
        }
        if rule.permission > out.permission {
            out = Resolution {
                permission: rule.permission,
                decided_by: Some(i),
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        model: &str,
        property: &str,
        access: &str,
        perm: &str,
        ptype: &str,
        pid: &str,
    ) -> AclRule {
        AclRule {
            model: model.into(),
            property: vec![property.into()],
            access_type: AccessType::parse(access).unwrap(),
            permission: Permission::parse(perm).unwrap(),
            principal_type: PrincipalType::parse(ptype),
            principal_id: pid.into(),
        }
    }

    fn req<'a>(
        model: &'a str,
        property: &'a str,
        names: &'a [&'a str],
        access: AccessType,
    ) -> AccessRequest<'a> {
        AccessRequest {
            model,
            property,
            method_names: names,
            access_type: access,
        }
    }

    #[test]
    fn worked_example_of_the_documentation() {
        // Request {order, find, EXECUTE}; three rules for ROLE $authenticated.
        let r1 = rule("*", "find", "EXECUTE", "ALLOW", "ROLE", AUTHENTICATED);
        let r2 = rule("order", "*", "*", "ALLOW", "ROLE", AUTHENTICATED);
        let r3 = rule("order", "find", "*", "DENY", "ROLE", AUTHENTICATED);
        let q = req("order", "find", &["find"], AccessType::Execute);
        assert_eq!(matching_score(&r3, &q), Some(8011));
        assert_eq!(matching_score(&r2, &q), Some(7496));
        assert_eq!(matching_score(&r1, &q), Some(6088));
        let res = resolve(&[r1, r2, r3], &q);
        assert_eq!(res.permission, Permission::Deny);
        assert_eq!(res.decided_by, Some(2));
    }

    #[test]
    fn method_specificity_beats_role_specificity() {
        let deny_find = rule("Project", "find", "*", "DENY", "ROLE", EVERYONE);
        let admin_all = rule("Project", "*", "*", "ALLOW", "ROLE", "admin");
        let q = req("Project", "find", &["find"], AccessType::Read);
        assert_eq!(
            resolve(&[deny_find, admin_all], &q).permission,
            Permission::Deny
        );
    }

    #[test]
    fn equal_specificity_deny_wins() {
        let allow = rule("Project", "find", "*", "ALLOW", "ROLE", EVERYONE);
        let deny = rule("Project", "find", "*", "DENY", "ROLE", EVERYONE);
        let q = req("Project", "find", &["find"], AccessType::Read);
        assert_eq!(
            resolve(&[allow.clone(), deny.clone()], &q).permission,
            Permission::Deny
        );
        assert_eq!(resolve(&[deny, allow], &q).permission, Permission::Deny);
    }

    #[test]
    fn property_specific_allow_beats_wildcard_deny() {
        let deny_all = rule("Project", "*", "*", "DENY", "ROLE", EVERYONE);
        let allow_find = rule("Project", "find", "*", "ALLOW", "ROLE", AUTHENTICATED);
        let q = req("Project", "find", &["find"], AccessType::Read);
        assert_eq!(
            resolve(&[deny_all.clone(), allow_find], &q).permission,
            Permission::Allow
        );
        // Without the second rule (an anonymous caller), the wildcard DENY decides.
        assert_eq!(resolve(&[deny_all], &q).permission, Permission::Deny);
    }

    #[test]
    fn user_principal_outweighs_role_at_equal_specificity() {
        let user = rule("Project", "find", "*", "DENY", "USER", "5");
        let role = rule("Project", "find", "*", "ALLOW", "ROLE", EVERYONE);
        let q = req("Project", "find", &["find"], AccessType::Read);
        assert!(matching_score(&user, &q) > matching_score(&role, &q));
        assert_eq!(resolve(&[role, user], &q).permission, Permission::Deny);
    }

    #[test]
    fn role_weights_order_owner_and_named_roles() {
        let q = req("M", "find", &["find"], AccessType::Read);
        let s = |pid: &str| {
            matching_score(&rule("M", "find", "READ", "ALLOW", "ROLE", pid), &q).unwrap()
        };
        assert!(s("admin") > s(OWNER));
        assert!(s(OWNER) > s(RELATED));
        assert!(s(RELATED) > s(AUTHENTICATED));
        assert_eq!(s(AUTHENTICATED), s(UNAUTHENTICATED));
        assert!(s(AUTHENTICATED) > s(EVERYONE));
    }

    #[test]
    fn access_type_matching() {
        let q_read = req("M", "find", &["find"], AccessType::Read);
        let q_repl = req("M", "checkpoint", &["checkpoint"], AccessType::Replicate);
        // EXECUTE rules match every request type, and as exactly as a same-type rule.
        let exec = rule("M", "*", "EXECUTE", "ALLOW", "ROLE", EVERYONE);
        let read = rule("M", "*", "READ", "ALLOW", "ROLE", EVERYONE);
        assert_eq!(
            matching_score(&exec, &q_read),
            matching_score(&read, &q_read)
        );
        // WRITE matches REPLICATE; READ matches neither WRITE nor REPLICATE.
        let write = rule("M", "*", "WRITE", "ALLOW", "ROLE", EVERYONE);
        assert!(matching_score(&write, &q_repl).is_some());
        assert_eq!(matching_score(&read, &q_repl), None);
        assert_eq!(matching_score(&write, &q_read), None);
        // A different model or method does not match at all.
        assert_eq!(
            matching_score(&rule("N", "*", "*", "ALLOW", "ROLE", EVERYONE), &q_read),
            None
        );
        assert_eq!(
            matching_score(&rule("M", "count", "*", "ALLOW", "ROLE", EVERYONE), &q_read),
            None
        );
    }

    #[test]
    fn aliases_and_lists_of_methods_match() {
        let names = ["patchAttributes", "updateAttributes"];
        let q = req("M", "patchAttributes", &names, AccessType::Write);
        let by_alias = rule("M", "updateAttributes", "*", "ALLOW", "ROLE", OWNER);
        assert!(matching_score(&by_alias, &q).is_some());
        assert!(by_alias.names_method(&names));
        // As specific as the alias rule (same role), so DENY breaks the tie.
        let mut listed = rule("M", "find", "*", "DENY", "ROLE", OWNER);
        listed.property.push("patchAttributes".into());
        assert!(listed.names_method(&names));
        assert_eq!(
            resolve(&[by_alias, listed], &q).permission,
            Permission::Deny
        );
    }

    #[test]
    fn no_rule_is_default_and_wildcard_requests_take_the_strongest() {
        let q = req("M", "find", &["find"], AccessType::Read);
        assert_eq!(
            resolve::<AclRule>(&[], &q).permission,
            Permission::Unspecified
        );
        let w = req("M", "*", &[], AccessType::All);
        assert!(w.is_wildcard());
        let allow = rule("M", "find", "READ", "ALLOW", "ROLE", EVERYONE);
        let audit = rule("M", "count", "READ", "AUDIT", "ROLE", EVERYONE);
        assert_eq!(resolve(&[allow, audit], &w).permission, Permission::Audit);
    }

    #[test]
    fn spellings_round_trip() {
        for s in ["READ", "WRITE", "EXECUTE", "REPLICATE", "*"] {
            assert_eq!(AccessType::parse(s).unwrap().as_str(), s);
        }
        for s in ["DEFAULT", "ALLOW", "ALARM", "AUDIT", "DENY"] {
            assert_eq!(Permission::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(PrincipalType::parse("APPLICATION"), PrincipalType::App);
        assert_eq!(PrincipalType::parse("Customer").as_str(), "Customer");
        assert_eq!(AccessType::parse("EXEC"), None);
    }
}
