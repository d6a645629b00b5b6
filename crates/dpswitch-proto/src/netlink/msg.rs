//! Message framing: `struct nlmsghdr`, then for generic netlink `struct
//! genlmsghdr`, then for the Open vSwitch families `struct ovs_header`,
//! then attributes. Also the netlink control messages dpswitch sends and
//! reads: `NLMSG_ERROR` (errors and acks) and `NLMSG_DONE` (end of a dump).

use super::attr::{bytes_at, nla_align};
use super::consts::{
    GENL_HDRLEN, NLA_HDRLEN, NLMSGERR_ATTR_MSG, NLMSG_ALIGNTO, NLMSG_DONE, NLMSG_ERROR,
    NLMSG_HDRLEN, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI, OVS_HEADER_LEN,
};
use super::error::NlError;
use nix::errno::Errno;

/// Rounds `len` up to the message alignment, `None` on overflow.
pub fn nlmsg_align(len: usize) -> Option<usize> {
    len.checked_add(NLMSG_ALIGNTO - 1)
        .map(|padded| padded & !(NLMSG_ALIGNTO - 1))
}

fn bad(reason: impl Into<String>) -> NlError {
    NlError::BadMessage {
        reason: reason.into(),
    }
}

/// `struct nlmsghdr`, host byte order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NlMsgHeader {
    /// Length of the message including this header. Ignored when encoding:
    /// the encoder computes it.
    pub len: u32,
    /// `NLMSG_*` for control messages, else the generic netlink family id.
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    /// The sender's netlink port id.
    pub pid: u32,
}

impl NlMsgHeader {
    /// Reads the header at the start of `buf` (no check of `len`).
    pub fn parse(buf: &[u8]) -> Result<NlMsgHeader, NlError> {
        let field = |at| bytes_at::<4>(buf, at).ok_or_else(|| too_short(buf.len()));
        let type_flags = field(4)?;
        Ok(NlMsgHeader {
            len: u32::from_ne_bytes(field(0)?),
            msg_type: u16::from_ne_bytes([type_flags[0], type_flags[1]]),
            flags: u16::from_ne_bytes([type_flags[2], type_flags[3]]),
            seq: u32::from_ne_bytes(field(8)?),
            pid: u32::from_ne_bytes(field(12)?),
        })
    }

    /// Appends the header with `len` as given.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.len.to_ne_bytes());
        out.extend_from_slice(&self.msg_type.to_ne_bytes());
        out.extend_from_slice(&self.flags.to_ne_bytes());
        out.extend_from_slice(&self.seq.to_ne_bytes());
        out.extend_from_slice(&self.pid.to_ne_bytes());
    }
}

fn too_short(got: usize) -> NlError {
    bad(format!(
        "{got} bytes cannot hold a {NLMSG_HDRLEN}-byte netlink header"
    ))
}

/// One netlink message: its header and the payload after it (without the
/// trailing alignment padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawMessage<'a> {
    pub header: NlMsgHeader,
    pub payload: &'a [u8],
}

impl<'a> RawMessage<'a> {
    /// Reads the message at the start of `buf`; returns it and the number of
    /// bytes it occupies with its padding (a last message may omit the
    /// padding). Fails when the header's length is below the header size or
    /// past the end of `buf`: the stream cannot be framed any further.
    pub fn parse(buf: &'a [u8]) -> Result<(RawMessage<'a>, usize), NlError> {
        let header = NlMsgHeader::parse(buf)?;
        let len = usize::try_from(header.len).map_err(|_| bad("length does not fit memory"))?;
        if len < NLMSG_HDRLEN {
            return Err(bad(format!(
                "length {len} is below the {NLMSG_HDRLEN}-byte header"
            )));
        }
        let payload = buf.get(NLMSG_HDRLEN..len).ok_or_else(|| {
            bad(format!(
                "length {len} runs past the {} bytes received",
                buf.len()
            ))
        })?;
        let consumed = nlmsg_align(len).unwrap_or(len).min(buf.len());
        Ok((RawMessage { header, payload }, consumed))
    }

    /// The generic netlink view: command, version and what follows.
    pub fn genl(&self) -> Result<GenlMessage<'a>, NlError> {
        GenlMessage::parse(self.header, self.payload)
    }

    /// The Open vSwitch view: genl header, `ovs_header` and attributes.
    pub fn ovs(&self) -> Result<OvsMessage<'a>, NlError> {
        let genl = self.genl()?;
        let ifindex = bytes_at::<4>(genl.payload, 0).ok_or_else(|| {
            bad(format!(
                "{} bytes after the generic netlink header cannot hold the {OVS_HEADER_LEN}-byte ovs_header",
                genl.payload.len()
            ))
        })?;
        Ok(OvsMessage {
            header: self.header,
            genl: genl.genl,
            dp_ifindex: i32::from_ne_bytes(ifindex),
            attrs: genl.payload.get(OVS_HEADER_LEN..).unwrap_or_default(),
        })
    }

    /// The `NLMSG_ERROR` view (an error, or an ack when the errno is 0).
    pub fn error(&self) -> Result<ErrorMessage<'a>, NlError> {
        if self.header.msg_type != NLMSG_ERROR {
            return Err(bad(format!(
                "type {} is not NLMSG_ERROR",
                self.header.msg_type
            )));
        }
        let code = bytes_at::<4>(self.payload, 0)
            .ok_or_else(|| bad("NLMSG_ERROR payload lacks its error code"))?;
        let echoed = self.payload.get(4..).unwrap_or_default();
        let request = NlMsgHeader::parse(echoed)
            .map_err(|_| bad("NLMSG_ERROR payload lacks the echoed request header"))?;
        Ok(ErrorMessage {
            header: self.header,
            error: i32::from_ne_bytes(code),
            request,
            request_payload: echoed.get(NLMSG_HDRLEN..).unwrap_or_default(),
        })
    }

    pub fn is_done(&self) -> bool {
        self.header.msg_type == NLMSG_DONE
    }
}

/// Iterates the messages of one received buffer. After a message that
/// cannot be framed, it yields that error and stops.
#[derive(Clone, Debug)]
pub struct MessageIter<'a> {
    rest: &'a [u8],
    failed: bool,
}

/// All messages in `buf`, in order.
pub fn messages(buf: &[u8]) -> MessageIter<'_> {
    MessageIter {
        rest: buf,
        failed: false,
    }
}

impl<'a> Iterator for MessageIter<'a> {
    type Item = Result<RawMessage<'a>, NlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        match RawMessage::parse(self.rest) {
            Ok((message, consumed)) => {
                self.rest = self.rest.get(consumed..).unwrap_or_default();
                Some(Ok(message))
            }
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

/// `struct genlmsghdr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenlHeader {
    pub cmd: u8,
    pub version: u8,
    pub reserved: u16,
}

impl GenlHeader {
    fn write(&self, out: &mut Vec<u8>) {
        out.push(self.cmd);
        out.push(self.version);
        out.extend_from_slice(&self.reserved.to_ne_bytes());
    }
}

/// A generic netlink message of any family (the `nlctrl` controller
/// included): headers and the family-specific rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenlMessage<'a> {
    pub header: NlMsgHeader,
    pub genl: GenlHeader,
    /// What follows the genl header: attributes, or a family header first.
    pub payload: &'a [u8],
}

impl<'a> GenlMessage<'a> {
    fn parse(header: NlMsgHeader, payload: &'a [u8]) -> Result<GenlMessage<'a>, NlError> {
        let fixed = bytes_at::<GENL_HDRLEN>(payload, 0).ok_or_else(|| {
            bad(format!(
                "{} payload bytes cannot hold the {GENL_HDRLEN}-byte generic netlink header",
                payload.len()
            ))
        })?;
        Ok(GenlMessage {
            header,
            genl: GenlHeader {
                cmd: fixed[0],
                version: fixed[1],
                reserved: u16::from_ne_bytes([fixed[2], fixed[3]]),
            },
            payload: payload.get(GENL_HDRLEN..).unwrap_or_default(),
        })
    }

    /// The whole message; `header.len` is computed.
    pub fn encode(&self) -> Result<Vec<u8>, NlError> {
        let mut body = Vec::with_capacity(GENL_HDRLEN.saturating_add(self.payload.len()));
        self.genl.write(&mut body);
        body.extend_from_slice(self.payload);
        encode_message(&self.header, &body)
    }
}

/// A message of one of the Open vSwitch families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OvsMessage<'a> {
    pub header: NlMsgHeader,
    pub genl: GenlHeader,
    /// `ovs_header.dp_ifindex`: which datapath the message is about.
    pub dp_ifindex: i32,
    /// The `OVS_*_ATTR_*` attributes.
    pub attrs: &'a [u8],
}

impl OvsMessage<'_> {
    /// The whole message; `header.len` is computed.
    pub fn encode(&self) -> Result<Vec<u8>, NlError> {
        let mut body =
            Vec::with_capacity((GENL_HDRLEN + OVS_HEADER_LEN).saturating_add(self.attrs.len()));
        self.genl.write(&mut body);
        body.extend_from_slice(&self.dp_ifindex.to_ne_bytes());
        body.extend_from_slice(self.attrs);
        encode_message(&self.header, &body)
    }
}

/// A decoded `NLMSG_ERROR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorMessage<'a> {
    pub header: NlMsgHeader,
    /// As on the wire: 0 for an ack, else a negative errno.
    pub error: i32,
    /// The header of the request this answers.
    pub request: NlMsgHeader,
    /// What followed the echoed header: the request's payload, possibly
    /// capped, possibly empty.
    pub request_payload: &'a [u8],
}

impl ErrorMessage<'_> {
    /// The errno, none for an ack.
    pub fn errno(&self) -> Option<Errno> {
        (self.error != 0).then(|| Errno::from_raw(self.error.saturating_neg()))
    }

    pub fn is_ack(&self) -> bool {
        self.error == 0
    }
}

/// A message with `header` (its `len` replaced by the real length) and
/// `payload`, padded to the message alignment.
pub fn encode_message(header: &NlMsgHeader, payload: &[u8]) -> Result<Vec<u8>, NlError> {
    let total = NLMSG_HDRLEN.saturating_add(payload.len());
    let len = u32::try_from(total).map_err(|_| NlError::TooBig {
        context: "netlink message",
        size: total,
        limit: u32::MAX as usize,
    })?;
    let mut out = Vec::with_capacity(nlmsg_align(total).unwrap_or(total));
    NlMsgHeader { len, ..*header }.write(&mut out);
    out.extend_from_slice(payload);
    let padded = nlmsg_align(out.len()).unwrap_or(out.len());
    out.resize(padded, 0);
    Ok(out)
}

/// The `NLMSG_ERROR` answering `request` with `errno` (none acks).
/// Like the kernel, an error echoes the whole request unless
/// `echo_payload` is false, and an ack echoes only the request's header;
/// a reply without the payload carries NLM_F_CAPPED. `port_id` is the
/// requester's netlink port id.
pub fn encode_error(
    port_id: u32,
    request: &RawMessage<'_>,
    errno: Option<Errno>,
    echo_payload: bool,
) -> Vec<u8> {
    encode_error_with_message(port_id, request, errno, echo_payload, None)
}

/// [`encode_error`] with an extended-ack message: like the kernel's
/// `extack->_msg`, it follows the echoed request as an `NLMSGERR_ATTR_MSG`
/// string and the reply is flagged NLM_F_ACK_TLVS.
pub fn encode_error_with_message(
    port_id: u32,
    request: &RawMessage<'_>,
    errno: Option<Errno>,
    echo_payload: bool,
    message: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::new();
    encode_error_into(&mut out, port_id, request, errno, echo_payload, message);
    out
}

/// [`encode_error_with_message`] appended to `out` (padded to the message
/// alignment), with no buffer of its own: how the server writes acks
/// straight into a connection's send queue.
pub fn encode_error_into(
    out: &mut Vec<u8>,
    port_id: u32,
    request: &RawMessage<'_>,
    errno: Option<Errno>,
    echo_payload: bool,
    message: Option<&str>,
) {
    let echo = errno.is_some() && echo_payload;
    // The extended-ack string as an attribute (header, text, NUL); a text
    // too long for an attribute is left out.
    let tlv = message.and_then(|text| {
        let len = NLA_HDRLEN.saturating_add(text.len()).saturating_add(1);
        u16::try_from(len).ok().map(|len| (text, len))
    });
    let mut flags = if echo { 0 } else { NLM_F_CAPPED };
    if tlv.is_some() {
        flags |= NLM_F_ACK_TLVS;
    }
    let start = out.len();
    NlMsgHeader {
        len: 0,
        msg_type: NLMSG_ERROR,
        flags,
        seq: request.header.seq,
        pid: port_id,
    }
    .write(out);
    // The wire carries the errno negated, 0 for an ack.
    let error = errno.map_or(0, |errno| (errno as i32).saturating_neg());
    out.extend_from_slice(&error.to_ne_bytes());
    request.header.write(out);
    if echo {
        out.extend_from_slice(request.payload);
    }
    if let Some((text, len)) = tlv {
        out.extend_from_slice(&len.to_ne_bytes());
        out.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        out.extend_from_slice(text.as_bytes());
        out.push(0);
        // Padded from the attribute's own start, as `AttrWriter` pads.
        let len = usize::from(len);
        let pad = nla_align(len).unwrap_or(len).saturating_sub(len);
        out.resize(out.len().saturating_add(pad), 0);
    }
    // The request itself was framed, so its echo fits the u32 length.
    let total = out.len().saturating_sub(start);
    let Ok(len) = u32::try_from(total) else {
        out.truncate(start);
        return;
    };
    if let Some(field) = out.get_mut(start..).and_then(|m| m.get_mut(..4)) {
        field.copy_from_slice(&len.to_ne_bytes());
    }
    let pad = nlmsg_align(total).unwrap_or(total).saturating_sub(total);
    out.resize(out.len().saturating_add(pad), 0);
}

/// The ack (`NLMSG_ERROR` with 0) for `request`.
pub fn encode_ack(port_id: u32, request: &RawMessage<'_>) -> Vec<u8> {
    encode_error(port_id, request, None, false)
}

/// The `NLMSG_DONE` that ends a dump answering the request numbered `seq`;
/// like the kernel it is flagged NLM_F_MULTI and carries the dump's final
/// status (0, or a negative errno).
pub fn encode_done(port_id: u32, seq: u32, status: i32) -> Vec<u8> {
    let header = NlMsgHeader {
        len: 0,
        msg_type: NLMSG_DONE,
        flags: NLM_F_MULTI,
        seq,
        pid: port_id,
    };
    encode_message(&header, &status.to_ne_bytes()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::consts::{NLM_F_ACK, NLM_F_REQUEST, OVS_FLOW_CMD_NEW, OVS_FLOW_VERSION};

    fn flow_request(attrs: &[u8]) -> Vec<u8> {
        OvsMessage {
            header: NlMsgHeader {
                len: 0,
                msg_type: 0x1a,
                flags: NLM_F_REQUEST | NLM_F_ACK,
                seq: 7,
                pid: 4242,
            },
            genl: GenlHeader {
                cmd: OVS_FLOW_CMD_NEW,
                version: OVS_FLOW_VERSION,
                reserved: 0,
            },
            dp_ifindex: 5,
            attrs,
        }
        .encode()
        .unwrap()
    }

    #[test]
    fn ovs_message_bytes_are_exact() {
        let bytes = flow_request(&[8, 0, 3, 0, 1, 0, 0, 0]);
        let expected: Vec<u8> = [
            &32u32.to_ne_bytes()[..],
            &0x1au16.to_ne_bytes(),
            &5u16.to_ne_bytes(),
            &7u32.to_ne_bytes(),
            &4242u32.to_ne_bytes(),
            &[1, 1, 0, 0],
            &5i32.to_ne_bytes(),
            &[8, 0, 3, 0, 1, 0, 0, 0],
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn ovs_message_round_trips() {
        let bytes = flow_request(&[5, 0, 4, 0, 9, 0, 0, 0]);
        let (raw, consumed) = RawMessage::parse(&bytes).unwrap();
        assert_eq!(consumed, bytes.len());
        let ovs = raw.ovs().unwrap();
        assert_eq!(ovs.header.len as usize, bytes.len());
        assert_eq!(ovs.header.seq, 7);
        assert_eq!(ovs.header.pid, 4242);
        assert_eq!(ovs.genl.cmd, OVS_FLOW_CMD_NEW);
        assert_eq!(ovs.dp_ifindex, 5);
        assert_eq!(ovs.attrs, [5, 0, 4, 0, 9, 0, 0, 0]);
        assert_eq!(ovs.encode().unwrap(), bytes);
    }

    #[test]
    fn a_buffer_of_several_messages_is_split_in_order() {
        let first = flow_request(&[]);
        let second = flow_request(&[4, 0, 8, 0]);
        let done = encode_done(1, 9, 0);
        let buf = [first.clone(), second.clone(), done].concat();
        let parsed: Vec<_> = messages(&buf).map(|m| m.unwrap()).collect();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].ovs().unwrap().attrs, b"");
        assert_eq!(parsed[1].ovs().unwrap().attrs, [4, 0, 8, 0]);
        assert!(parsed[2].is_done());
        assert_eq!(parsed[2].header.flags, NLM_F_MULTI);
        assert_eq!(parsed[2].header.seq, 9);
        assert_eq!(parsed[2].payload, 0i32.to_ne_bytes());
    }

    #[test]
    fn unpadded_message_lengths_are_framed_by_alignment() {
        // A 17-byte message (one payload byte) followed by another message.
        let header = NlMsgHeader {
            msg_type: 0x20,
            ..Default::default()
        };
        let odd = encode_message(&header, &[0xaa]).unwrap();
        assert_eq!(odd.len(), 20);
        assert_eq!(u32::from_ne_bytes(odd[..4].try_into().unwrap()), 17);
        let buf = [odd.clone(), odd].concat();
        let parsed: Vec<_> = messages(&buf).map(|m| m.unwrap().payload).collect();
        assert_eq!(parsed, [&[0xaa][..], &[0xaa][..]]);
        // The last message may lack its padding.
        let parsed: Vec<_> = messages(&buf[..37]).map(|m| m.unwrap().payload).collect();
        assert_eq!(parsed, [&[0xaa][..], &[0xaa][..]]);
    }

    #[test]
    fn unframeable_messages_stop_the_iteration() {
        let good = flow_request(&[]);
        // Length below the header.
        let mut short = good.clone();
        short[..4].copy_from_slice(&8u32.to_ne_bytes());
        // Length past the buffer.
        let mut long = good.clone();
        long[..4].copy_from_slice(&400u32.to_ne_bytes());
        for broken in [short, long, good[..10].to_vec()] {
            let buf = [good.clone(), broken].concat();
            let results: Vec<_> = messages(&buf).collect();
            assert_eq!(results.len(), 2);
            assert!(results[0].is_ok());
            assert_eq!(results[1].as_ref().unwrap_err().errno(), Errno::EINVAL);
        }
    }

    #[test]
    fn genl_and_ovs_headers_must_fit() {
        let header = NlMsgHeader {
            msg_type: 0x1a,
            ..Default::default()
        };
        let no_genl = encode_message(&header, &[1, 1]).unwrap();
        let (raw, _) = RawMessage::parse(&no_genl).unwrap();
        assert!(raw.genl().is_err());
        let no_ovs = encode_message(&header, &[1, 1, 0, 0, 5, 0]).unwrap();
        let (raw, _) = RawMessage::parse(&no_ovs).unwrap();
        assert_eq!(raw.genl().unwrap().genl.cmd, 1);
        // Six bytes are padded to eight on the wire but the message length
        // says six, so the ovs_header is incomplete.
        let err = raw.ovs().unwrap_err();
        assert_eq!(err.errno(), Errno::EINVAL);
    }

    #[test]
    fn error_echoes_the_request_and_ack_is_capped() {
        let request_bytes = flow_request(&[4, 0, 8, 0]);
        let (request, _) = RawMessage::parse(&request_bytes).unwrap();

        let error_bytes = encode_error(4242, &request, Some(Errno::EINVAL), true);
        let (reply, _) = RawMessage::parse(&error_bytes).unwrap();
        assert_eq!(reply.header.msg_type, NLMSG_ERROR);
        assert_eq!(reply.header.flags, 0);
        assert_eq!(reply.header.seq, 7);
        assert_eq!(reply.header.pid, 4242);
        let error = reply.error().unwrap();
        assert_eq!(error.error, -22);
        assert_eq!(error.errno(), Some(Errno::EINVAL));
        assert!(!error.is_ack());
        assert_eq!(error.request, request.header);
        assert_eq!(error.request_payload, request.payload);
        assert_eq!(error_bytes.len(), 16 + 4 + request_bytes.len());

        let ack_bytes = encode_ack(4242, &request);
        assert_eq!(ack_bytes.len(), 16 + 4 + 16);
        let (reply, _) = RawMessage::parse(&ack_bytes).unwrap();
        assert_eq!(reply.header.flags, NLM_F_CAPPED);
        let ack = reply.error().unwrap();
        assert!(ack.is_ack());
        assert_eq!(ack.request, request.header);
        assert!(ack.request_payload.is_empty());

        let capped = encode_error(4242, &request, Some(Errno::ENOENT), false);
        let (reply, _) = RawMessage::parse(&capped).unwrap();
        assert_eq!(reply.header.flags, NLM_F_CAPPED);
        assert_eq!(reply.error().unwrap().errno(), Some(Errno::ENOENT));
    }

    /// Appended after other bytes, an error with an extended-ack text is
    /// the message on its own: the text's attribute padded from its own
    /// start, the length excluding the final padding.
    #[test]
    fn error_encoded_in_place_matches_the_message_on_its_own() {
        // A request whose payload is not a multiple of four bytes long.
        let mut request_bytes = flow_request(&[5, 0, 8, 0, 1]);
        request_bytes.truncate(request_bytes.len() - 3);
        let len = request_bytes.len() as u32;
        request_bytes[..4].copy_from_slice(&len.to_ne_bytes());
        let (request, _) = RawMessage::parse(&request_bytes).unwrap();
        for (errno, echo, text) in [
            (None, false, None),
            (
                Some(Errno::EINVAL),
                true,
                Some("Flow key attr not present in new flow."),
            ),
            (Some(Errno::EEXIST), false, Some("abc")),
            (Some(Errno::ENOENT), true, None),
        ] {
            let mut out = vec![9u8; 12];
            encode_error_into(&mut out, 3, &request, errno, echo, text);
            let alone = encode_error_with_message(3, &request, errno, echo, text);
            assert_eq!(&out[12..], &alone[..]);
            assert_eq!(out.len() % 4, 0);
            let (reply, _) = RawMessage::parse(&alone).unwrap();
            assert_eq!(reply.error().unwrap().errno(), errno);
            let tlvs = reply.header.flags & NLM_F_ACK_TLVS != 0;
            assert_eq!(tlvs, text.is_some());
            if let Some(text) = text {
                let at = if echo {
                    4 + request_bytes.len()
                } else {
                    4 + 16
                };
                let attr = &reply.payload[at..];
                let len = u16::from_ne_bytes([attr[0], attr[1]]) as usize;
                assert_eq!(len, 4 + text.len() + 1);
                assert_eq!(&attr[4..len - 1], text.as_bytes());
            }
        }
    }

    #[test]
    fn error_view_rejects_other_or_short_messages() {
        let request_bytes = flow_request(&[]);
        let (request, _) = RawMessage::parse(&request_bytes).unwrap();
        assert!(request.error().is_err());
        let header = NlMsgHeader {
            msg_type: NLMSG_ERROR,
            ..Default::default()
        };
        let short = encode_message(&header, &[0, 0, 0, 0, 1, 2]).unwrap();
        let (reply, _) = RawMessage::parse(&short).unwrap();
        assert!(reply.error().is_err());
    }
}
