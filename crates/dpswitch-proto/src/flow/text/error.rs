//! Errors of the text syntax: each one names the token it refused, so a user
//! typing `ovs-dpctl`-style flows sees what to fix.

use std::fmt;

/// What went wrong while parsing flow or action text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextErrorKind {
    /// An Open vSwitch key attribute that dpswitch does not support
    /// (`tunnel`, `ct_state`, `mpls`, ...).
    UnsupportedKeyAttr(String),
    /// A name that is not a key attribute at all.
    UnknownKeyAttr(String),
    /// An Open vSwitch action that dpswitch does not support (`ct`, ...).
    UnsupportedAction(String),
    /// A name that is not an action at all.
    UnknownAction(String),
    /// A `userspace(...)` cookie form dpswitch does not support (`sFlow`, ...).
    UnsupportedUserspaceCookie(String),
    /// `name=` inside an attribute or action that has no such field.
    UnknownField { within: String, field: String },
    /// A value that does not scan, is out of range, or is followed by junk.
    /// `field` is `None` for single-value attributes such as `in_port(...)`.
    BadValue {
        within: String,
        field: Option<String>,
        value: String,
    },
    /// Anything else that breaks the grammar, with the text where it broke.
    Syntax { within: String, at: String },
    /// `encap(...)` or nested actions deeper than the parser allows.
    TooDeep { within: String },
    /// More attributes or actions than a netlink attribute can hold.
    TooLarge { within: String },
}

/// A parse error of the ovs-dpctl text syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextError {
    kind: TextErrorKind,
}

impl TextError {
    pub fn new(kind: TextErrorKind) -> TextError {
        TextError { kind }
    }

    pub fn kind(&self) -> &TextErrorKind {
        &self.kind
    }

    /// The attribute, action or cookie name when the error is "unsupported"
    /// or "unknown" name.
    pub fn refused_name(&self) -> Option<&str> {
        match &self.kind {
            TextErrorKind::UnsupportedKeyAttr(n)
            | TextErrorKind::UnknownKeyAttr(n)
            | TextErrorKind::UnsupportedAction(n)
            | TextErrorKind::UnknownAction(n)
            | TextErrorKind::UnsupportedUserspaceCookie(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TextErrorKind::UnsupportedKeyAttr(n) => write!(f, "unsupported key attribute \"{n}\""),
            TextErrorKind::UnknownKeyAttr(n) => write!(f, "unknown key attribute \"{n}\""),
            TextErrorKind::UnsupportedAction(n) => write!(f, "unsupported action \"{n}\""),
            TextErrorKind::UnknownAction(n) => write!(f, "unknown action \"{n}\""),
            TextErrorKind::UnsupportedUserspaceCookie(n) => {
                write!(f, "unsupported userspace cookie \"{n}\"")
            }
            TextErrorKind::UnknownField { within, field } => {
                write!(f, "unknown field \"{field}\" in \"{within}(...)\"")
            }
            TextErrorKind::BadValue {
                within,
                field: Some(field),
                value,
            } => write!(
                f,
                "bad value \"{value}\" for field \"{field}\" in \"{within}(...)\""
            ),
            TextErrorKind::BadValue {
                within,
                field: None,
                value,
            } => write!(f, "bad value \"{value}\" in \"{within}(...)\""),
            TextErrorKind::Syntax { within, at } if within.is_empty() => {
                write!(f, "syntax error at \"{at}\"")
            }
            TextErrorKind::Syntax { within, at } => {
                write!(f, "syntax error in \"{within}(...)\" at \"{at}\"")
            }
            TextErrorKind::TooDeep { within } => {
                write!(f, "\"{within}(...)\" nested too deeply")
            }
            TextErrorKind::TooLarge { within } => {
                write!(f, "\"{within}(...)\" too large for a netlink attribute")
            }
        }
    }
}

impl std::error::Error for TextError {}

/// Longest piece of input quoted in an error message.
const MAX_QUOTE: usize = 40;

/// The input from `from` up to (not including) the first byte for which
/// `stop` holds, shortened for quoting.
pub(super) fn token_until(b: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> String {
    let rest = b.get(from..).unwrap_or(&[]);
    let len = rest.iter().position(|&c| stop(c)).unwrap_or(rest.len());
    quote(rest.get(..len).unwrap_or(&[]))
}

/// The input from `from` to the end, shortened for quoting.
pub(super) fn rest_of(b: &[u8], from: usize) -> String {
    quote(b.get(from..).unwrap_or(&[]))
}

fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() <= MAX_QUOTE {
        text.into_owned()
    } else {
        let short: String = text.chars().take(MAX_QUOTE).collect();
        format!("{short}...")
    }
}

/// The value token of `name=value`: up to the next `,` or `)`.
pub(super) fn value_token(b: &[u8], from: usize) -> String {
    token_until(b, from, |c| c == b',' || c == b')')
}

pub(super) fn bad_value(within: &str, field: Option<&str>, b: &[u8], from: usize) -> TextError {
    TextError::new(TextErrorKind::BadValue {
        within: within.to_string(),
        field: field.map(|f| f.trim_end_matches('=').to_string()),
        value: value_token(b, from),
    })
}

pub(super) fn syntax(within: &str, b: &[u8], at: usize) -> TextError {
    TextError::new(TextErrorKind::Syntax {
        within: within.to_string(),
        at: rest_of(b, at),
    })
}
