//! Every way a netlink message, attribute, key or action list can be
//! malformed, each with the errno the kernel's Open vSwitch datapath answers
//! for it and a message naming what was wrong.

/// Linux errno values (positive, as in `errno.h`), spelled out so the codec
/// needs no libc. The wire carries them negated in `NLMSG_ERROR`.
pub mod errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const ENOMEM: i32 = 12;
    pub const EBUSY: i32 = 16;
    pub const EEXIST: i32 = 17;
    pub const ENODEV: i32 = 19;
    pub const EINVAL: i32 = 22;
    pub const EFBIG: i32 = 27;
    pub const ENOSPC: i32 = 28;
    pub const ERANGE: i32 = 34;
    pub const EOVERFLOW: i32 = 75;
    pub const EUSERS: i32 = 87;
    pub const EMSGSIZE: i32 = 90;
    pub const EOPNOTSUPP: i32 = 95;
    pub const EAFNOSUPPORT: i32 = 97;
}

/// A malformed or unrepresentable message. `context` says which part of the
/// message was being read ("flow key", "actions", ...).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NlError {
    /// Bytes left over that do not form a whole attribute: a header cut
    /// short, a length below the header size or past the end of the
    /// enclosing buffer, or a last attribute whose padding is missing.
    #[error("{context}: {remaining} trailing bytes do not form a whole attribute")]
    TruncatedAttr {
        context: &'static str,
        remaining: usize,
    },
    /// An attribute id the wire format does not define here.
    #[error("{context}: unknown attribute type {id}")]
    UnknownAttr { context: &'static str, id: u16 },
    /// The same attribute twice where only one is allowed.
    #[error("{context}: duplicate {name} attribute (type {id})")]
    DuplicateAttr {
        context: &'static str,
        name: &'static str,
        id: u16,
    },
    /// A fixed-size attribute with the wrong payload length.
    #[error(
        "{context}: {name} attribute (type {id}) has {got} payload bytes, expected {expected}"
    )]
    BadLength {
        context: &'static str,
        name: &'static str,
        id: u16,
        expected: usize,
        got: usize,
    },
    /// A payload shorter than the generic netlink policy's minimum (the
    /// kernel answers ERANGE for these, not EINVAL).
    #[error("{context}: {name} attribute (type {id}) has {got} payload bytes, below the minimum of {min}")]
    BelowPolicyMinimum {
        context: &'static str,
        name: &'static str,
        id: u16,
        min: usize,
        got: usize,
    },
    /// A flag attribute that carries a payload (ERANGE, as the policy check).
    #[error("{context}: flag attribute {name} (type {id}) carries {got} payload bytes")]
    FlagWithPayload {
        context: &'static str,
        name: &'static str,
        id: u16,
        got: usize,
    },
    /// A defined attribute or action that dpswitch does not implement.
    /// Rejected, never dropped, so a client probing for a feature learns
    /// that it is absent.
    #[error("{context}: {name} (type {id}) is not supported by dpswitch")]
    Unsupported {
        context: &'static str,
        name: &'static str,
        id: u16,
    },
    /// A required attribute is absent.
    #[error("{context}: required attribute {name} is missing")]
    MissingAttr {
        context: &'static str,
        name: &'static str,
    },
    /// Nested key attributes (VLAN encapsulation) deeper than the datapath
    /// can match.
    #[error("{context}: encapsulation nested more than {limit} levels deep")]
    NestedTooDeep { context: &'static str, limit: usize },
    /// Action lists (sample, clone) nested deeper than the kernel allows.
    #[error("actions: nested more than {limit} levels deep")]
    ActionsTooDeep { limit: usize },
    /// A well-framed attribute whose value the datapath refuses.
    #[error("{context}: {reason}")]
    InvalidValue {
        context: &'static str,
        reason: String,
    },
    /// A message whose netlink, generic netlink or OVS header cannot be
    /// read. When the netlink header itself is broken the stream cannot be
    /// framed any further.
    #[error("netlink message: {reason}")]
    BadMessage { reason: String },
    /// Something to encode that does not fit a netlink length field.
    #[error("{context}: {size} bytes do not fit in a netlink length of at most {limit}")]
    TooBig {
        context: &'static str,
        size: usize,
        limit: usize,
    },
}

impl NlError {
    /// The positive errno the datapath answers with for this error.
    pub fn errno(&self) -> i32 {
        match self {
            NlError::BelowPolicyMinimum { .. } | NlError::FlagWithPayload { .. } => errno::ERANGE,
            NlError::ActionsTooDeep { .. } => errno::EOVERFLOW,
            NlError::TooBig { .. } => errno::EMSGSIZE,
            NlError::TruncatedAttr { .. }
            | NlError::UnknownAttr { .. }
            | NlError::DuplicateAttr { .. }
            | NlError::BadLength { .. }
            | NlError::Unsupported { .. }
            | NlError::MissingAttr { .. }
            | NlError::NestedTooDeep { .. }
            | NlError::InvalidValue { .. }
            | NlError::BadMessage { .. } => errno::EINVAL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_errno() {
        let cases = [
            (
                NlError::TruncatedAttr {
                    context: "flow key",
                    remaining: 3,
                },
                22,
            ),
            (
                NlError::UnknownAttr {
                    context: "flow key",
                    id: 99,
                },
                22,
            ),
            (
                NlError::DuplicateAttr {
                    context: "flow key",
                    name: "ipv4",
                    id: 7,
                },
                22,
            ),
            (
                NlError::BadLength {
                    context: "flow key",
                    name: "ipv4",
                    id: 7,
                    expected: 12,
                    got: 11,
                },
                22,
            ),
            (
                NlError::BelowPolicyMinimum {
                    context: "flow",
                    name: "ufid",
                    id: 9,
                    min: 1,
                    got: 0,
                },
                34,
            ),
            (
                NlError::FlagWithPayload {
                    context: "flow",
                    name: "probe",
                    id: 8,
                    got: 4,
                },
                34,
            ),
            (
                NlError::Unsupported {
                    context: "flow key",
                    name: "ct_state",
                    id: 22,
                },
                22,
            ),
            (
                NlError::MissingAttr {
                    context: "sample action",
                    name: "probability",
                },
                22,
            ),
            (
                NlError::NestedTooDeep {
                    context: "flow key",
                    limit: 2,
                },
                22,
            ),
            (NlError::ActionsTooDeep { limit: 16 }, 75),
            (
                NlError::InvalidValue {
                    context: "push_vlan action",
                    reason: "TPID 0x1234".into(),
                },
                22,
            ),
            (
                NlError::BadMessage {
                    reason: "too short".into(),
                },
                22,
            ),
            (
                NlError::TooBig {
                    context: "actions",
                    size: 70000,
                    limit: 65535,
                },
                90,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.errno(), expected, "{error}");
        }
    }

    #[test]
    fn messages_name_the_attribute_and_lengths() {
        let error = NlError::BadLength {
            context: "flow key",
            name: "ipv4",
            id: 7,
            expected: 12,
            got: 11,
        };
        assert_eq!(
            error.to_string(),
            "flow key: ipv4 attribute (type 7) has 11 payload bytes, expected 12"
        );
        let error = NlError::Unsupported {
            context: "actions",
            name: "ct",
            id: 12,
        };
        assert_eq!(
            error.to_string(),
            "actions: ct (type 12) is not supported by dpswitch"
        );
    }
}
