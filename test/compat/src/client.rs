// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// The transport: one request per connection over the service's Unix socket,
// framed, serialized and deserialized by parsec-interface itself (Request,
// Response and the protobuf Convert implementation), as Parsec's own Rust
// client does.

use parsec_interface::operations::{Convert, NativeOperation, NativeResult};
use parsec_interface::operations_protobuf::ProtobufConverter;
use parsec_interface::requests::request::{RequestAuth, RequestHeader};
use parsec_interface::requests::{
    AuthType, BodyType, Opcode, ProviderId, Request, Response, ResponseStatus,
};
use std::fmt;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// Why a call did not give a result.
#[derive(Debug)]
pub enum CallError {
    /// The service answered with this status (or parsec-interface failed
    /// with it while serializing the request or deserializing the answer).
    Status(ResponseStatus),
    /// The answer's header does not match the request.
    Header(String),
    /// The socket failed.
    Io(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Status(s) => write!(f, "status {} ({:?})", *s as u16, s),
            CallError::Header(m) => write!(f, "bad response header: {}", m),
            CallError::Io(m) => write!(f, "socket: {}", m),
        }
    }
}

impl CallError {
    /// The status carried, if any.
    pub fn status(&self) -> Option<ResponseStatus> {
        match self {
            CallError::Status(s) => Some(*s),
            _ => None,
        }
    }
}

/// How requests are authenticated.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Direct authenticator: the application name.
    Direct(String),
    /// Unix peer credentials: this process's uid.
    UnixPeer(u32),
}

impl Auth {
    fn header_and_bytes(&self) -> (AuthType, Vec<u8>) {
        match self {
            Auth::Direct(app) => (AuthType::Direct, app.as_bytes().to_vec()),
            Auth::UnixPeer(uid) => (AuthType::UnixPeerCredentials, uid.to_le_bytes().to_vec()),
        }
    }
}

/// A client of one service socket.
pub struct Client {
    pub socket: PathBuf,
    pub auth: Option<Auth>,
    pub timeout: Duration,
    /// Print every request's bytes and every answer's status and body on
    /// standard error (PARSEC_COMPAT_TRACE=1).
    pub trace: bool,
}

/// Operations Parsec's client sends without authentication.
fn unauthenticated(op: Opcode) -> bool {
    matches!(
        op,
        Opcode::Ping | Opcode::ListProviders | Opcode::ListOpcodes | Opcode::ListAuthenticators
    )
}

impl Client {
    /// Sends op to provider on a fresh connection and returns the decoded result.
    pub fn call(
        &self,
        provider: ProviderId,
        op: NativeOperation,
    ) -> Result<NativeResult, CallError> {
        let conv = ProtobufConverter {};
        let opcode = op.opcode();
        let body = conv.operation_to_body(op).map_err(CallError::Status)?;
        let (auth_type, auth_bytes) = match (&self.auth, unauthenticated(opcode)) {
            (Some(a), false) => a.header_and_bytes(),
            _ => (AuthType::NoAuth, Vec::new()),
        };
        let request = Request {
            header: RequestHeader {
                provider,
                session: 0,
                content_type: BodyType::Protobuf,
                accept_type: BodyType::Protobuf,
                auth_type,
                opcode,
            },
            body,
            auth: RequestAuth::new(auth_bytes),
        };
        let mut stream = UnixStream::connect(&self.socket)
            .map_err(|e| CallError::Io(format!("connect {}: {}", self.socket.display(), e)))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|_| stream.set_write_timeout(Some(self.timeout)))
            .map_err(|e| CallError::Io(e.to_string()))?;
        let mut bytes = Vec::new();
        request
            .write_to_stream(&mut bytes)
            .map_err(CallError::Status)?;
        if self.trace {
            eprintln!(
                "> {:?} to {:?}: {}",
                opcode,
                provider,
                crate::checks::hex(&bytes)
            );
        }
        stream
            .write_all(&bytes)
            .map_err(|e| CallError::Io(e.to_string()))?;
        let response =
            Response::read_from_stream(&mut stream, usize::MAX).map_err(CallError::Status)?;
        if self.trace {
            eprintln!(
                "< {:?} status {} ({:?}) body {}",
                response.header.opcode,
                response.header.status as u16,
                response.header.status,
                crate::checks::hex(response.body.bytes())
            );
        }
        if response.header.status != ResponseStatus::Success {
            return Err(CallError::Status(response.header.status));
        }
        if response.header.opcode != opcode {
            return Err(CallError::Header(format!(
                "opcode {:?} in the answer to {:?}",
                response.header.opcode, opcode
            )));
        }
        if response.header.provider != provider {
            return Err(CallError::Header(format!(
                "provider {:?} in the answer to a request for {:?}",
                response.header.provider, provider
            )));
        }
        let result = conv
            .body_to_result(response.body, opcode)
            .map_err(CallError::Status)?;
        if result.opcode() != opcode {
            return Err(CallError::Header(format!(
                "result of {:?} decoded for {:?}",
                result.opcode(),
                opcode
            )));
        }
        Ok(result)
    }
}
