// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//! parsec-compat-client: a client of a Parsec service (here parsecd) built
//! on Parsec's own wire-protocol crate, parsec-interface 0.27 (Debian's
//! librust-parsec-interface-dev). It lists the providers, authenticators,
//! opcodes and keys, then runs every opcode each provider lists through
//! parsec-interface's serializer and deserializer and checks the statuses
//! and results. A listed opcode it does not know how to exercise is a
//! failure. One line per check, then "N passed, N failed"; the exit status
//! is 1 when a check failed, 2 on a usage error.
//!
//! Usage: parsec-compat-client [--socket PATH] [--app NAME]
//!        [--artefacts FILE] [--attest-stdio]
//!
//! The socket defaults to PARSEC_SERVICE_ENDPOINT (unix:PATH), then
//! /run/parsec/parsec.sock. --artefacts writes one line per result that
//! the caller should check independently (signatures, ciphertexts, shared
//! secrets: see docs/compat-client.md). --attest-stdio makes the TPM key
//! attestation a dialogue: the client prints a MAKECREDENTIAL line and
//! reads the credential blob and secret from its standard input.
//! PARSEC_COMPAT_TRACE=1 prints each request's bytes and each answer's
//! status and body on standard error.

mod checks;
mod client;

use client::Client;
use std::path::PathBuf;
use std::process::exit;
use std::time::Duration;

fn usage(msg: &str) -> ! {
    eprintln!("parsec-compat-client: {}", msg);
    eprintln!(
        "usage: parsec-compat-client [--socket PATH] [--app NAME] [--artefacts FILE] [--attest-stdio]"
    );
    exit(2)
}

fn main() {
    let mut socket: Option<PathBuf> = None;
    let mut app = String::from("parsec-compat");
    let mut artefacts: Option<PathBuf> = None;
    let mut attest_stdio = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--socket" => {
                socket = Some(PathBuf::from(
                    args.next()
                        .unwrap_or_else(|| usage("--socket needs a path")),
                ))
            }
            "--app" => app = args.next().unwrap_or_else(|| usage("--app needs a name")),
            "--artefacts" => {
                artefacts = Some(PathBuf::from(
                    args.next()
                        .unwrap_or_else(|| usage("--artefacts needs a path")),
                ))
            }
            "--attest-stdio" => attest_stdio = true,
            "-h" | "--help" => usage("help"),
            other => usage(&format!("unknown argument {:?}", other)),
        }
    }
    let socket = socket.unwrap_or_else(|| match std::env::var("PARSEC_SERVICE_ENDPOINT") {
        Ok(uri) => match uri.strip_prefix("unix:") {
            Some(p) => PathBuf::from(p),
            None => usage(&format!(
                "PARSEC_SERVICE_ENDPOINT {:?} is not a unix: URI",
                uri
            )),
        },
        Err(_) => PathBuf::from("/run/parsec/parsec.sock"),
    });
    let client = Client {
        socket,
        auth: None,
        timeout: Duration::from_secs(120),
        trace: std::env::var("PARSEC_COMPAT_TRACE").map_or(false, |v| v == "1"),
    };
    let mut runner = match checks::Runner::new(client, app, artefacts, attest_stdio) {
        Ok(r) => r,
        Err(e) => usage(&e),
    };
    runner.run();
    println!("{} passed, {} failed", runner.passed, runner.failed);
    exit(if runner.failed == 0 { 0 } else { 1 })
}
