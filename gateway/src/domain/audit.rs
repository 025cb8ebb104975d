//! The audit log's entries and what records them, who they name, and the rules of reading them
//! back: the filters of the listing and the export, the CSV cells, and the optional `reason`
//! of dangerous actions, which their entries keep.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::accounts::Account;
use crate::domain::error::FieldError;
use crate::domain::rfc3339;
use crate::domain::roles::Role;

/// Who an audit entry names for an action without a session, such as a failed login; no admin
/// can have this name, since admin usernames match `^[a-zA-Z0-9_]{3,20}$`.
pub const ANONYMOUS: &str = "(anonymous)";

/// Who an audit entry names for what the gateway itself observed, such as a service's new
/// version (`service.deploy`); like `ANONYMOUS`, no admin can have this name.
pub const SYSTEM: &str = "(system)";

/// A link of the log's hash chain (`domain::audit_chain`): a SHA-256 digest.
pub type Hash = [u8; 32];

/// A hash as the API writes it: 64 lower-case hex digits.
pub fn serialize_hash<S: serde::Serializer>(hash: &Option<Hash>, s: S) -> Result<S::Ok, S::Error> {
    hash.map(hex::encode).serialize(s)
}

/// What kind of thing an audit entry acted on; with `target_id` it names it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    Game,
    Config,
    Snapshot,
    Player,
    Account,
    Service,
    Schedule,
}

impl TargetType {
    pub const ALL: [TargetType; 7] = [
        TargetType::Game,
        TargetType::Config,
        TargetType::Snapshot,
        TargetType::Player,
        TargetType::Account,
        TargetType::Service,
        TargetType::Schedule,
    ];

    /// The name the API and the `admin_audit.target_type` column use.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Game => "game",
            TargetType::Config => "config",
            TargetType::Snapshot => "snapshot",
            TargetType::Player => "player",
            TargetType::Account => "account",
            TargetType::Service => "service",
            TargetType::Schedule => "schedule",
        }
    }

    pub fn parse(name: &str) -> Option<TargetType> {
        TargetType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// From 1, strictly increasing over the life of the process (a dev reset keeps counting).
    pub id: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The game tick when the entry was recorded.
    pub tick: u64,
    /// The acting account's username, or `ANONYMOUS`, or `SYSTEM`.
    pub admin: String,
    /// The acting account's id; `None` for an action without a session.
    pub admin_id: Option<Uuid>,
    /// The role the account acted with; `None` for an action without a session.
    pub role: Option<Role>,
    /// `family.verb`, as `Audit::new` names it (owned: a store reads it back as text).
    pub action: String,
    pub target_type: Option<TargetType>,
    /// Config key, snapshot id (decimal), player or account UUID, service name.
    pub target_id: Option<String>,
    /// A label for people, as before.
    pub target: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
    /// Its link in the log's hash chain (`domain::audit_chain`), given by the log with the id;
    /// none for entries written before the chain began.
    #[serde(serialize_with = "serialize_hash")]
    pub hash: Option<Hash>,
    /// The API key the actor acted through (see `Actor::via`), said in `detail` by `with`;
    /// not a column of its own.
    #[serde(skip)]
    pub via: Option<String>,
}

impl AuditEntry {
    /// `audit` by `actor`, now, at game tick `tick`; its id is the log's to give.
    pub fn recorded(actor: &Actor, audit: Audit, tick: u64) -> AuditEntry {
        AuditEntry {
            id: 0,
            at: OffsetDateTime::now_utc(),
            tick,
            admin: actor.username.clone(),
            admin_id: actor.id,
            role: actor.role,
            action: String::new(),
            target_type: None,
            target_id: None,
            target: None,
            before: None,
            after: None,
            reason: None,
            detail: None,
            hash: None,
            via: actor.via.clone(),
        }
        .with(audit)
    }
}

impl AuditEntry {
    /// This entry's who and when with what `audit` says: for an entry whose content is known
    /// only once its change is decided, inside the store's transaction.
    pub fn with(&self, audit: Audit) -> AuditEntry {
        AuditEntry {
            action: audit.action.to_owned(),
            target_type: audit.target_type,
            target_id: audit.target_id,
            target: audit.target,
            before: audit.before,
            after: audit.after,
            reason: audit.reason,
            detail: match (&self.via, audit.detail) {
                (None, detail) => detail,
                (Some(via), None) => Some(format!("with {via}")),
                (Some(via), Some(detail)) => Some(format!("{detail}; with {via}")),
            },
            ..self.clone()
        }
    }
}

/// What to record in an audit entry, besides who and when.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub action: &'static str,
    pub target_type: Option<TargetType>,
    pub target_id: Option<String>,
    pub target: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

impl Audit {
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            ..Self::default()
        }
    }

    /// The target: its type, its id if it has one, and its label for people.
    pub fn on(mut self, kind: TargetType, id: Option<String>, label: Option<String>) -> Self {
        self.target_type = Some(kind);
        self.target_id = id;
        self.target = label;
        self
    }

    /// A target label without a type, such as the username typed into a failed login.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.target = Some(label.into());
        self
    }

    pub fn change(mut self, before: impl Into<String>, after: impl Into<String>) -> Self {
        self.before = Some(before.into());
        self.after = Some(after.into());
        self
    }

    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// An audit entry as listed: with whether its target still exists.
#[derive(Serialize)]
pub struct ListedEntry<'a> {
    #[serde(flatten)]
    pub entry: &'a AuditEntry,
    pub target_exists: bool,
}

/// Who an audit entry names.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub username: String,
    pub role: Option<Role>,
    /// "API key “ci” (gak_AbC123…)" when the account acts through one of its API keys: every
    /// entry of what the key does says so.
    pub via: Option<String>,
}

impl Actor {
    /// For an action without a session, such as a failed login.
    pub fn anonymous() -> Self {
        Self {
            id: None,
            username: ANONYMOUS.to_owned(),
            role: None,
            via: None,
        }
    }

    /// For what the gateway itself observed, such as a service's new version.
    pub fn system() -> Self {
        Self {
            id: None,
            username: SYSTEM.to_owned(),
            role: None,
            via: None,
        }
    }

    pub fn account(account: &Account) -> Self {
        Self {
            id: Some(account.id),
            username: account.username.clone(),
            role: Some(account.role),
            via: None,
        }
    }
}

/// The most characters of a reason.
pub const MAX_REASON_CHARS: usize = 500;

/// Whether `c` is white space as the contract's patterns mean it (`\\s` of ECMA-262, which
/// JSON Schema's regular expressions are): Unicode's White_Space without U+0085 (NEXT LINE),
/// plus U+FEFF. Rust's `char::is_whitespace` differs in exactly those two, so a schema-valid
/// text of one NEXT LINE would otherwise be refused as blank.
pub fn is_white_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// `text` without leading and trailing white space, as the contract means it.
pub fn trim_white_space(text: &str) -> &str {
    text.trim_matches(is_white_space)
}

/// A reason as stored: trimmed, and none when empty; more than 500 characters (as sent) is a
/// 422 at `body.reason`.
pub fn reason(raw: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.chars().count() > MAX_REASON_CHARS {
        return Err(FieldError::new(
            &["body", "reason"],
            format!("String should have at most {MAX_REASON_CHARS} characters"),
            "string_too_long",
        ));
    }
    let trimmed = trim_white_space(&raw);
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// The filters of the listing and the export; every one optional.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// A username, compared case-insensitively (lower case here).
    pub actor: Option<String>,
    /// An action, or a family of them when it has no dot (`config` is every `config.*`).
    pub action: Option<String>,
    /// A case-insensitive substring of the target label or id (lower case here).
    pub target: Option<String>,
    /// Inclusive.
    pub from: Option<OffsetDateTime>,
    /// Exclusive.
    pub to: Option<OffsetDateTime>,
    /// Only entries with this id or a smaller one.
    pub until_id: Option<u64>,
}

impl Filter {
    pub fn matches(&self, e: &AuditEntry) -> bool {
        if let Some(actor) = &self.actor {
            if e.admin.to_lowercase() != *actor {
                return false;
            }
        }
        if let Some(action) = &self.action {
            let family = !action.contains('.')
                && e.action
                    .strip_prefix(action.as_str())
                    .is_some_and(|rest| rest.starts_with('.'));
            if e.action != *action && !family {
                return false;
            }
        }
        if let Some(target) = &self.target {
            let hit = |s: &Option<String>| {
                s.as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(target.as_str()))
            };
            if !hit(&e.target) && !hit(&e.target_id) {
                return false;
            }
        }
        if self.from.is_some_and(|from| e.at < from) || self.to.is_some_and(|to| e.at >= to) {
            return false;
        }
        self.until_id.is_none_or(|until| e.id <= until)
    }
}

/// The CSV columns, in order.
pub const CSV_HEADER: &str =
    "id,at,admin,admin_id,role,action,target_type,target_id,target,before,after,reason,tick,detail,hash";

/// One CSV cell: a value a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading `'`, then RFC 4180 quoting where needed.
pub fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

pub fn csv_row(e: &AuditEntry) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let cells = [
        e.id.to_string(),
        rfc3339(e.at),
        e.admin.clone(),
        e.admin_id.map(|id| id.to_string()).unwrap_or_default(),
        e.role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        e.action.clone(),
        e.target_type
            .map(TargetType::as_str)
            .unwrap_or_default()
            .to_owned(),
        text(&e.target_id),
        text(&e.target),
        text(&e.before),
        text(&e.after),
        text(&e.reason),
        e.tick.to_string(),
        text(&e.detail),
        e.hash.map(hex::encode).unwrap_or_default(),
    ];
    cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn target_type_names_are_the_ones_serde_writes() {
        for t in TargetType::ALL {
            assert_eq!(json!(t), json!(t.as_str()));
            assert_eq!(TargetType::parse(t.as_str()), Some(t));
        }
        assert_eq!(TargetType::parse("planet"), None);
    }

    #[test]
    fn cells_are_quoted_as_rfc_4180_and_formulas_are_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2.5"), "'-2.5");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\",1)"),
            "\"'=HYPERLINK(\"\"x\"\",1)\""
        );
        assert_eq!(csv_cell("a=b"), "a=b");
    }

    #[test]
    fn white_space_is_what_ecma_262_says_it_is() {
        // WhiteSpace and LineTerminator of ECMA-262 (`\s` in the contract's patterns); the
        // space separators (Zs) listed from Unicode 15.
        let mut ecma = vec![
            '\t', '\u{b}', '\u{c}', ' ', '\u{a0}', '\u{feff}', '\u{1680}', '\u{202f}', '\u{205f}',
            '\u{3000}', '\n', '\r', '\u{2028}', '\u{2029}',
        ];
        ecma.extend('\u{2000}'..='\u{200a}');
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_white_space(c), ecma.contains(&c), "U+{:04X}", c as u32);
        }
        assert_eq!(trim_white_space("\u{85}"), "\u{85}", "NEXT LINE is text");
        assert_eq!(trim_white_space("\u{feff} x\u{3000}"), "x");
    }

    #[test]
    fn reasons_are_trimmed_empty_is_none_and_long_is_refused() {
        assert_eq!(reason(None).unwrap(), None);
        assert_eq!(reason(Some("   ".into())).unwrap(), None);
        assert_eq!(
            reason(Some("  lag spike ".into())).unwrap().as_deref(),
            Some("lag spike")
        );
        assert!(reason(Some("é".repeat(500))).is_ok());
        let e = reason(Some("x".repeat(501))).unwrap_err();
        assert_eq!(e.kind, "string_too_long");
    }

    fn entry(id: u64, admin: &str, action: &'static str, target: Option<&str>) -> AuditEntry {
        AuditEntry {
            id,
            at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(id as i64),
            tick: 0,
            admin: admin.into(),
            admin_id: None,
            role: None,
            action: action.to_owned(),
            target_type: None,
            target_id: target.map(str::to_owned),
            target: target.map(|t| format!("label {t}")),
            before: None,
            after: None,
            reason: None,
            detail: None,
            hash: None,
            via: None,
        }
    }

    #[test]
    fn filters_match_actor_action_family_target_and_time() {
        let e = entry(5, "Alice", "config.update", Some("tick_rate"));
        let f = |filter: Filter| filter.matches(&e);
        assert!(f(Filter::default()));
        assert!(f(Filter {
            actor: Some("alice".into()),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            actor: Some("ali".into()),
            ..Filter::default()
        }));
        for (action, hit) in [
            ("config", true),
            ("config.update", true),
            ("config.reset", false),
            ("conf", false),
            ("config.", false),
        ] {
            assert_eq!(
                f(Filter {
                    action: Some(action.into()),
                    ..Filter::default()
                }),
                hit,
                "{action}"
            );
        }
        assert!(f(Filter {
            target: Some("tick".into()),
            ..Filter::default()
        }));
        assert!(f(Filter {
            target: Some("label t".into()),
            ..Filter::default()
        }));
        let at = e.at;
        assert!(f(Filter {
            from: Some(at),
            to: Some(at + time::Duration::SECOND),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            to: Some(at),
            ..Filter::default()
        }));
        assert!(f(Filter {
            until_id: Some(5),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            until_id: Some(4),
            ..Filter::default()
        }));
    }
}
