//! Every way a netlink message, attribute, key or action list can be
//! malformed, each with the errno the kernel's Open vSwitch datapath answers
//! for it and a message naming what was wrong.

use nix::errno::Errno;

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
    /// The errno the datapath answers with for this error.
    pub fn errno(&self) -> Errno {
        match self {
            NlError::BelowPolicyMinimum { .. } | NlError::FlagWithPayload { .. } => Errno::ERANGE,
            NlError::ActionsTooDeep { .. } => Errno::EOVERFLOW,
            NlError::TooBig { .. } => Errno::EMSGSIZE,
            NlError::TruncatedAttr { .. }
            | NlError::UnknownAttr { .. }
            | NlError::DuplicateAttr { .. }
            | NlError::BadLength { .. }
            | NlError::Unsupported { .. }
            | NlError::MissingAttr { .. }
            | NlError::NestedTooDeep { .. }
            | NlError::InvalidValue { .. }
            | NlError::BadMessage { .. } => Errno::EINVAL,
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
                Errno::EINVAL,
            ),
            (
                NlError::UnknownAttr {
                    context: "flow key",
                    id: 99,
                },
                Errno::EINVAL,
            ),
            (
                NlError::DuplicateAttr {
                    context: "flow key",
                    name: "ipv4",
                    id: 7,
                },
                Errno::EINVAL,
            ),
            (
                NlError::BadLength {
                    context: "flow key",
                    name: "ipv4",
                    id: 7,
                    expected: 12,
                    got: 11,
                },
                Errno::EINVAL,
            ),
            (
                NlError::BelowPolicyMinimum {
                    context: "flow",
                    name: "ufid",
                    id: 9,
                    min: 1,
                    got: 0,
                },
                Errno::ERANGE,
            ),
            (
                NlError::FlagWithPayload {
                    context: "flow",
                    name: "probe",
                    id: 8,
                    got: 4,
                },
                Errno::ERANGE,
            ),
            (
                NlError::Unsupported {
                    context: "flow key",
                    name: "ct_state",
                    id: 22,
                },
                Errno::EINVAL,
            ),
            (
                NlError::MissingAttr {
                    context: "sample action",
                    name: "probability",
                },
                Errno::EINVAL,
            ),
            (
                NlError::NestedTooDeep {
                    context: "flow key",
                    limit: 2,
                },
                Errno::EINVAL,
            ),
            (NlError::ActionsTooDeep { limit: 16 }, Errno::EOVERFLOW),
            (
                NlError::InvalidValue {
                    context: "push_vlan action",
                    reason: "TPID 0x1234".into(),
                },
                Errno::EINVAL,
            ),
            (
                NlError::BadMessage {
                    reason: "too short".into(),
                },
                Errno::EINVAL,
            ),
            (
                NlError::TooBig {
                    context: "actions",
                    size: 70000,
                    limit: 65535,
                },
                Errno::EMSGSIZE,
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
