// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// The checks. Every call goes through client::Client::call, i.e. through
// parsec-interface's own Request/Response framing and ProtobufConverter.

use crate::client::{Auth, Client};
use parsec_interface::operations::list_providers::Uuid;
use parsec_interface::operations::psa_algorithm::{
    Aead, AeadWithDefaultLengthTag, Algorithm, AsymmetricEncryption, AsymmetricSignature, Cipher,
    Hash, KeyAgreement, RawKeyAgreement,
};
use parsec_interface::operations::psa_key_attributes::{
    Attributes, EccFamily, Lifetime, Policy, Type, UsageFlags,
};
use parsec_interface::operations::{
    attest_key, can_do_crypto, delete_client, list_authenticators, list_clients, list_keys,
    list_opcodes, list_providers, ping, prepare_key_attestation, psa_aead_decrypt,
    psa_aead_encrypt, psa_asymmetric_decrypt, psa_asymmetric_encrypt, psa_cipher_decrypt,
    psa_cipher_encrypt, psa_destroy_key, psa_export_key, psa_export_public_key, psa_generate_key,
    psa_generate_random, psa_hash_compare, psa_hash_compute, psa_import_key, psa_raw_key_agreement,
    psa_sign_hash, psa_sign_message, psa_verify_hash, psa_verify_message, NativeOperation,
    NativeResult,
};
use parsec_interface::requests::{AuthType, Opcode, ProviderId, ResponseStatus};
use parsec_interface::secrecy::{ExposeSecret, Secret};
use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use zeroize::Zeroizing;

// Test vectors (testdata/README.md says how they were made).
const EC_PRIVATE: &[u8] = include_bytes!("../testdata/ec-p256-private.bin");
const EC_PUBLIC: &[u8] = include_bytes!("../testdata/ec-p256-public.bin");
const RSA_PRIVATE: &[u8] = include_bytes!("../testdata/rsa2048-pkcs1.der");
const RSA_PUBLIC: &[u8] = include_bytes!("../testdata/rsa2048-public.der");
const RSA_OAEP_CT: &[u8] = include_bytes!("../testdata/rsa2048-oaep-sha256.bin");
const RSA_PKCS1_CT: &[u8] = include_bytes!("../testdata/rsa2048-pkcs1v15.bin");
const VECTOR_PLAINTEXT: &[u8] = include_bytes!("../testdata/vector-plaintext.txt");
const AES_KEY: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
];

/// The message signed, and its SHA-256 (the service's hash is not needed).
const MESSAGE: &[u8] = b"parsec compat message";
const MESSAGE_SHA256: &str = "26eb08d94596448be3f6918512d1e3a6070ef442ed8e6dcfb9272ed01ada85e4";
const OTHER_SHA256: &str = "92863770c6fea77b7cf09b2fbab64f924a52e0c63f8bfda28634da308b7d6497";
const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The provider UUIDs of Parsec (facts: provider table).
fn known_uuid(id: ProviderId) -> &'static str {
    match id {
        ProviderId::Core => "47049873-2a43-4845-9d72-831eab668784",
        ProviderId::MbedCrypto => "1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
        ProviderId::Pkcs11 => "30e39502-eba6-4d60-a4af-c518b7f5e38f",
        ProviderId::Tpm => "1e4954a4-ff21-46d3-ab0c-661eeb667e1d",
        ProviderId::TrustedService => "71129441-508a-4da6-b6e8-7b98a777e4c0",
        ProviderId::CryptoAuthLib => "b8ba81e2-e9f7-4bdd-b096-a29d0019960c",
    }
}

pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{:02x}", x));
    }
    s
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 == 1 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn flip(b: &[u8], i: usize) -> Vec<u8> {
    let mut v = b.to_vec();
    let i = i % v.len();
    v[i] ^= 0x01;
    v
}

fn z(b: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(b.to_vec())
}

fn attrs(key_type: Type, bits: usize, usage: UsageFlags, alg: Algorithm) -> Attributes {
    Attributes {
        lifetime: Lifetime::Persistent,
        key_type,
        bits,
        policy: Policy {
            usage_flags: usage,
            permitted_algorithms: alg,
        },
    }
}

fn usage_sign(export: bool) -> UsageFlags {
    let mut u = UsageFlags::default();
    let _ = u.set_sign_hash().set_verify_hash();
    if export {
        let _ = u.set_export();
    }
    u
}

fn usage_verify() -> UsageFlags {
    let mut u = UsageFlags::default();
    let _ = u.set_verify_hash();
    u
}

fn usage_crypt(export: bool) -> UsageFlags {
    let mut u = UsageFlags::default();
    let _ = u.set_encrypt().set_decrypt();
    if export {
        let _ = u.set_export();
    }
    u
}

fn usage_encrypt() -> UsageFlags {
    let mut u = UsageFlags::default();
    let _ = u.set_encrypt();
    u
}

fn usage_derive() -> UsageFlags {
    let mut u = UsageFlags::default();
    let _ = u.set_derive();
    u
}

const ECC_P256: Type = Type::EccKeyPair {
    curve_family: EccFamily::SecpR1,
};
const ECC_P256_PUB: Type = Type::EccPublicKey {
    curve_family: EccFamily::SecpR1,
};

fn ecdsa() -> AsymmetricSignature {
    AsymmetricSignature::Ecdsa {
        hash_alg: Hash::Sha256.into(),
    }
}

fn rsa_pkcs1_sign() -> AsymmetricSignature {
    AsymmetricSignature::RsaPkcs1v15Sign {
        hash_alg: Hash::Sha256.into(),
    }
}

fn oaep() -> AsymmetricEncryption {
    AsymmetricEncryption::RsaOaep {
        hash_alg: Hash::Sha256,
    }
}

fn gcm() -> Aead {
    Aead::AeadWithDefaultLengthTag(AeadWithDefaultLengthTag::Gcm)
}

fn ecdh() -> Algorithm {
    Algorithm::KeyAgreement(KeyAgreement::Raw(RawKeyAgreement::Ecdh))
}

/// The state of the checks of one provider.
struct Prov {
    id: ProviderId,
    scope: String,
    listed: BTreeSet<u32>,
    done: HashSet<u32>,
    keys: Vec<(String, Attributes)>,
}

impl Prov {
    fn has(&self, op: Opcode) -> bool {
        self.listed.contains(&(op as u32))
    }
}

/// Calls $variant on provider $p and expects a result of the same variant.
macro_rules! expect_ok {
    ($r:expr, $p:expr, $what:expr, $variant:ident, $op:expr) => {{
        let what: String = $what.into();
        let _ = $p.done.insert(Opcode::$variant as u32);
        match $r.client.call($p.id, NativeOperation::$variant($op)) {
            Ok(NativeResult::$variant(res)) => {
                $r.pass(&$p.scope, &what);
                Some(res)
            }
            Ok(other) => {
                $r.fail(
                    &$p.scope,
                    &what,
                    format!("a result of {:?}", other.opcode()),
                );
                None
            }
            Err(e) => {
                $r.fail(&$p.scope, &what, e.to_string());
                None
            }
        }
    }};
}

/// Calls $variant on provider $p and expects the status $want.
macro_rules! expect_status {
    ($r:expr, $p:expr, $what:expr, $variant:ident, $op:expr, $want:expr) => {{
        let what: String = $what.into();
        let want: ResponseStatus = $want;
        let _ = $p.done.insert(Opcode::$variant as u32);
        match $r.client.call($p.id, NativeOperation::$variant($op)) {
            Ok(_) => $r.fail(
                &$p.scope,
                &what,
                format!("succeeded, want status {} ({:?})", want as u16, want),
            ),
            Err(e) if e.status() == Some(want) => $r.pass(&$p.scope, &what),
            Err(e) => $r.fail(
                &$p.scope,
                &what,
                format!("{}, want status {} ({:?})", e, want as u16, want),
            ),
        }
    }};
}

pub struct Runner {
    pub client: Client,
    pub passed: u32,
    pub failed: u32,
    app: String,
    prefix: String,
    artefacts: Option<File>,
    attest_stdio: bool,
}

impl Runner {
    pub fn new(
        client: Client,
        app: String,
        artefacts: Option<PathBuf>,
        attest_stdio: bool,
    ) -> Result<Runner, String> {
        let artefacts = match artefacts {
            Some(p) => Some(File::create(&p).map_err(|e| format!("{}: {}", p.display(), e))?),
            None => None,
        };
        Ok(Runner {
            client,
            passed: 0,
            failed: 0,
            app,
            prefix: format!("compat-{}", std::process::id()),
            artefacts,
            attest_stdio,
        })
    }

    fn pass(&mut self, scope: &str, what: &str) {
        self.passed += 1;
        println!("PASS [{}] {}", scope, what);
    }

    fn fail(&mut self, scope: &str, what: &str, why: String) {
        self.failed += 1;
        println!("FAIL [{}] {}: {}", scope, what, why);
    }

    fn check(&mut self, scope: &str, what: &str, ok: bool, why: String) -> bool {
        if ok {
            self.pass(scope, what)
        } else {
            self.fail(scope, what, why)
        }
        ok
    }

    fn artefact(&mut self, p: &Prov, kind: &str, fields: &[(&str, &[u8])]) {
        if let Some(f) = self.artefacts.as_mut() {
            let mut line = format!("{} provider={}", kind, p.id as u8);
            for (k, v) in fields {
                line.push_str(&format!(" {}={}", k, hex(v)));
            }
            let _ = writeln!(f, "{}", line);
        }
    }

    fn key_name(&self, short: &str) -> String {
        format!("{}-{}", self.prefix, short)
    }

    pub fn run(&mut self) {
        let mut core = Prov {
            id: ProviderId::Core,
            scope: String::from("core"),
            listed: BTreeSet::new(),
            done: HashSet::new(),
            keys: Vec::new(),
        };
        // Ping and the lists, without authentication.
        if let Some(r) = expect_ok!(self, core, "Ping", Ping, ping::Operation) {
            let ok = r.wire_protocol_version_maj == 1 && r.wire_protocol_version_min == 0;
            let why = format!(
                "{}.{}",
                r.wire_protocol_version_maj, r.wire_protocol_version_min
            );
            let _ = self.check("core", "Ping answers wire protocol 1.0", ok, why);
        }
        self.authenticators(&mut core);
        let providers = self.providers(&mut core);
        if let Some(r) = expect_ok!(
            self,
            core,
            "ListOpcodes(core)",
            ListOpcodes,
            list_opcodes::Operation {
                provider_id: ProviderId::Core,
            }
        ) {
            core.listed = r.opcodes.iter().map(|o| *o as u32).collect();
            let want = [
                Opcode::Ping,
                Opcode::ListProviders,
                Opcode::ListOpcodes,
                Opcode::ListAuthenticators,
                Opcode::ListKeys,
            ];
            let missing: Vec<Opcode> = want.iter().copied().filter(|o| !core.has(*o)).collect();
            let why = format!("missing {:?}", missing);
            let _ = self.check(
                "core",
                &format!("core lists {}", opcodes_str(&core.listed)),
                missing.is_empty(),
                why,
            );
        }
        // ListKeys before any key is made: none of this run's names.
        if let Some(r) = expect_ok!(
            self,
            core,
            "ListKeys (before making keys)",
            ListKeys,
            list_keys::Operation {}
        ) {
            let ours: Vec<String> = r
                .keys
                .iter()
                .filter(|k| k.name.starts_with(&self.prefix))
                .map(|k| k.name.clone())
                .collect();
            let _ = self.check(
                "core",
                "ListKeys shows none of this run's keys yet",
                ours.is_empty(),
                format!("{:?}", ours),
            );
        }
        for (id, _) in providers.iter().filter(|(id, _)| *id != ProviderId::Core) {
            self.provider(*id, &mut core);
        }
        self.admin(&mut core);
        self.unexercised(&core);
    }

    fn authenticators(&mut self, core: &mut Prov) {
        let r = match expect_ok!(
            self,
            core,
            "ListAuthenticators",
            ListAuthenticators,
            list_authenticators::Operation {}
        ) {
            Some(r) => r,
            None => return,
        };
        let _ = self.check(
            "core",
            "one authenticator is listed",
            r.authenticators.len() == 1,
            format!("{:?}", r.authenticators),
        );
        let a = match r.authenticators.first() {
            Some(a) => a,
            None => return,
        };
        let why = format!("{:?}", a);
        match a.id {
            AuthType::Direct => self.client.auth = Some(Auth::Direct(self.app.clone())),
            AuthType::UnixPeerCredentials => {
                // SAFETY: getuid cannot fail and touches no memory.
                let uid = unsafe { libc::getuid() };
                self.client.auth = Some(Auth::UnixPeer(uid));
            }
            _ => {
                self.fail(
                    "core",
                    "the authenticator is Direct or UnixPeerCredentials",
                    why,
                );
                return;
            }
        }
        self.pass(
            "core",
            &format!(
                "authenticator {:?} {}.{}.{} ({}); using {:?}",
                a.id,
                a.version_maj,
                a.version_min,
                a.version_rev,
                a.description,
                self.client.auth.as_ref().unwrap()
            ),
        );
    }

    fn providers(&mut self, core: &mut Prov) -> Vec<(ProviderId, String)> {
        let r = match expect_ok!(
            self,
            core,
            "ListProviders",
            ListProviders,
            list_providers::Operation {}
        ) {
            Some(r) => r,
            None => return Vec::new(),
        };
        let mut out = Vec::new();
        for p in r.providers.iter() {
            let want = Uuid::parse_str(known_uuid(p.id)).unwrap();
            let _ = self.check(
                "core",
                &format!(
                    "provider {} ({}) {} {}.{}.{} vendor {:?}: {:?}",
                    p.id as u8,
                    p.id,
                    p.uuid,
                    p.version_maj,
                    p.version_min,
                    p.version_rev,
                    p.vendor,
                    p.description
                ),
                p.uuid == want,
                format!("UUID {}, Parsec's is {}", p.uuid, want),
            );
            out.push((p.id, p.description.clone()));
        }
        let last_core = r
            .providers
            .last()
            .map(|p| p.id == ProviderId::Core)
            .unwrap_or(false);
        let n = r
            .providers
            .iter()
            .filter(|p| p.id == ProviderId::Core)
            .count();
        let _ = self.check(
            "core",
            "the core provider is listed once, last",
            last_core && n == 1,
            format!("{:?}", out),
        );
        out
    }

    fn provider(&mut self, id: ProviderId, core: &mut Prov) {
        let mut p = Prov {
            id,
            scope: format!("provider {} {}", id as u8, id),
            listed: BTreeSet::new(),
            done: HashSet::new(),
            keys: Vec::new(),
        };
        match expect_ok!(
            self,
            core,
            format!("ListOpcodes({})", id),
            ListOpcodes,
            list_opcodes::Operation { provider_id: id }
        ) {
            Some(r) => p.listed = r.opcodes.iter().map(|o| *o as u32).collect(),
            None => {
                self.fail(
                    &p.scope,
                    "the provider's operations",
                    String::from("none can be checked without its opcode list"),
                );
                return;
            }
        }
        let why = String::new();
        self.check(
            &p.scope.clone(),
            &format!("lists {}", opcodes_str(&p.listed)),
            !p.listed.is_empty(),
            why,
        );
        self.random(&mut p);
        self.hashes(&mut p);
        self.sign(&mut p);
        self.asymmetric_crypt(&mut p);
        self.export_key(&mut p);
        self.aead(&mut p);
        self.cipher(&mut p);
        self.agreement(&mut p);
        self.can_do_crypto(&mut p);
        self.attestation(&mut p);
        self.list_keys(&mut p, core);
        self.destroy(&mut p, core);
        self.unexercised(&p);
    }

    /// Fails for every listed opcode that no check has sent: a provider
    /// that lists something new forces a new check.
    fn unexercised(&mut self, p: &Prov) {
        for op in p.listed.iter() {
            if !p.done.contains(op) {
                let core_op = [0x01u32, 0x08, 0x09, 0x0e, 0x1a, 0x1b, 0x1c].contains(op);
                let why = if core_op && p.id != ProviderId::Core {
                    String::from("a core opcode listed by a crypto provider")
                } else {
                    String::from("this client has no check for it (add one)")
                };
                self.fail(
                    &p.scope,
                    &format!("listed opcode 0x{:02x} exercised", op),
                    why,
                );
            }
        }
    }

    /// Fails the check `what` when the provider does not list `op`, which
    /// the checks of what it does list need; true when it is listed.
    fn require(&mut self, p: &Prov, op: Opcode, what: &str, why: &str) -> bool {
        if p.has(op) {
            return true;
        }
        self.fail(&p.scope, what, String::from(why));
        false
    }

    /// Generates a key; on success it is remembered for ListKeys and DestroyKey.
    fn generate(&mut self, p: &mut Prov, short: &str, a: Attributes) -> Option<String> {
        if !self.require(
            p,
            Opcode::PsaGenerateKey,
            &format!("GenerateKey {}", short),
            "needed for the checks of listed opcodes, but not listed",
        ) {
            return None;
        }
        let name = self.key_name(short);
        let what = format!("GenerateKey {} ({:?}, {} bits)", short, a.key_type, a.bits);
        expect_ok!(
            self,
            p,
            what,
            PsaGenerateKey,
            psa_generate_key::Operation {
                key_name: name.clone(),
                attributes: a,
            }
        )?;
        p.keys.push((name.clone(), a));
        Some(name)
    }

    /// Imports a key; on success it is remembered for ListKeys and DestroyKey.
    fn import(&mut self, p: &mut Prov, short: &str, a: Attributes, data: &[u8]) -> Option<String> {
        if !self.require(
            p,
            Opcode::PsaImportKey,
            &format!("ImportKey {}", short),
            "needed for the checks of listed opcodes, but not listed",
        ) {
            return None;
        }
        let name = self.key_name(short);
        let what = format!("ImportKey {} ({:?}, {} bits)", short, a.key_type, a.bits);
        expect_ok!(
            self,
            p,
            what,
            PsaImportKey,
            psa_import_key::Operation {
                key_name: name.clone(),
                attributes: a,
                data: Secret::new(data.to_vec()),
            }
        )?;
        p.keys.push((name.clone(), a));
        Some(name)
    }

    fn export_public(&mut self, p: &mut Prov, name: &str, what: &str) -> Option<Vec<u8>> {
        if !self.require(
            p,
            Opcode::PsaExportPublicKey,
            what,
            "ExportPublicKey is needed but not listed",
        ) {
            return None;
        }
        let r = expect_ok!(
            self,
            p,
            what,
            PsaExportPublicKey,
            psa_export_public_key::Operation {
                key_name: name.to_string(),
            }
        )?;
        Some(r.data.to_vec())
    }

    fn random(&mut self, p: &mut Prov) {
        if !p.has(Opcode::PsaGenerateRandom) {
            return;
        }
        for size in [1usize, 16, 32, 100, 1024] {
            if let Some(r) = expect_ok!(
                self,
                p,
                format!("GenerateRandom {}", size),
                PsaGenerateRandom,
                psa_generate_random::Operation { size }
            ) {
                let n = r.random_bytes.len();
                let _ = self.check(
                    &p.scope.clone(),
                    &format!("GenerateRandom {} gives {} bytes", size, size),
                    n == size,
                    format!("{} bytes", n),
                );
            }
        }
        let a = expect_ok!(
            self,
            p,
            "GenerateRandom 32 (first)",
            PsaGenerateRandom,
            psa_generate_random::Operation { size: 32 }
        );
        let b = expect_ok!(
            self,
            p,
            "GenerateRandom 32 (second)",
            PsaGenerateRandom,
            psa_generate_random::Operation { size: 32 }
        );
        if let (Some(a), Some(b)) = (a, b) {
            let _ = self.check(
                &p.scope.clone(),
                "two 32-byte random draws differ",
                a.random_bytes.to_vec() != b.random_bytes.to_vec(),
                String::from("identical"),
            );
        }
    }

    fn hashes(&mut self, p: &mut Prov) {
        let vectors: [(&[u8], &str); 3] = [
            (b"abc", ABC_SHA256),
            (b"", EMPTY_SHA256),
            (MESSAGE, MESSAGE_SHA256),
        ];
        if p.has(Opcode::PsaHashCompute) {
            for (input, want) in vectors.iter() {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    format!(
                        "HashCompute SHA-256 of {:?}",
                        String::from_utf8_lossy(input)
                    ),
                    PsaHashCompute,
                    psa_hash_compute::Operation {
                        alg: Hash::Sha256,
                        input: z(input),
                    }
                ) {
                    let got = hex(&r.hash);
                    let _ = self.check(
                        &p.scope.clone(),
                        &format!(
                            "SHA-256 of {:?} is the known answer",
                            String::from_utf8_lossy(input)
                        ),
                        got == *want,
                        got,
                    );
                }
            }
        }
        if p.has(Opcode::PsaHashCompare) {
            let good = unhex(ABC_SHA256).unwrap();
            let _ = expect_ok!(
                self,
                p,
                "HashCompare SHA-256 of \"abc\" with its hash",
                PsaHashCompare,
                psa_hash_compare::Operation {
                    alg: Hash::Sha256,
                    input: z(b"abc"),
                    hash: z(&good),
                }
            );
            expect_status!(
                self,
                p,
                "HashCompare with a wrong hash",
                PsaHashCompare,
                psa_hash_compare::Operation {
                    alg: Hash::Sha256,
                    input: z(b"abc"),
                    hash: z(&flip(&good, 31)),
                },
                ResponseStatus::PsaErrorInvalidSignature
            );
        }
    }

    /// ECDSA P-256 and RSA PKCS#1 v1.5 signatures, of hashes and messages,
    /// on generated and imported keys.
    fn sign(&mut self, p: &mut Prov) {
        let sign_ops = [
            Opcode::PsaSignHash,
            Opcode::PsaVerifyHash,
            Opcode::PsaSignMessage,
            Opcode::PsaVerifyMessage,
        ];
        let key_ops = [
            Opcode::PsaGenerateKey,
            Opcode::PsaExportPublicKey,
            Opcode::PsaDestroyKey,
        ];
        if !sign_ops.iter().chain(key_ops.iter()).any(|o| p.has(*o)) {
            return;
        }
        let scope = p.scope.clone();
        let digest = unhex(MESSAGE_SHA256).unwrap();
        let other = unhex(OTHER_SHA256).unwrap();
        let alg = ecdsa();
        let ecc_attrs = attrs(
            ECC_P256,
            256,
            usage_sign(false),
            Algorithm::AsymmetricSignature(alg),
        );
        if let Some(name) = self.generate(p, "ecc", ecc_attrs) {
            expect_status!(
                self,
                p,
                "GenerateKey of an existing name",
                PsaGenerateKey,
                psa_generate_key::Operation {
                    key_name: name.clone(),
                    attributes: ecc_attrs,
                },
                ResponseStatus::PsaErrorAlreadyExists
            );
            let public = self.export_public(p, &name, "ExportPublicKey ecc");
            if let Some(public) = public.as_ref() {
                let _ = self.check(
                    &scope,
                    "the ECC public key is a 65-byte uncompressed point",
                    public.len() == 65 && public[0] == 4,
                    hex(public),
                );
            }
            self.sign_with(
                p,
                &name,
                alg,
                &digest,
                &other,
                public.as_deref(),
                64,
                "ecdsa-p256-sha256",
            );
        }
        // RSA 2048 PKCS#1 v1.5 signatures.
        if p.has(Opcode::PsaSignHash) || p.has(Opcode::PsaSignMessage) {
            let alg = rsa_pkcs1_sign();
            let a = attrs(
                Type::RsaKeyPair,
                2048,
                usage_sign(false),
                Algorithm::AsymmetricSignature(alg),
            );
            if let Some(name) = self.generate(p, "rsa-sign", a) {
                let public = self.export_public(p, &name, "ExportPublicKey rsa-sign");
                self.sign_with(
                    p,
                    &name,
                    alg,
                    &digest,
                    &other,
                    public.as_deref(),
                    256,
                    "rsa-pkcs1v15-sha256",
                );
            }
        }
        if !p.has(Opcode::PsaImportKey) {
            return;
        }
        // The test vector's private key: its public key must be the vector's.
        let a = attrs(
            ECC_P256,
            256,
            usage_sign(p.has(Opcode::PsaExportKey)),
            Algorithm::AsymmetricSignature(alg),
        );
        if let Some(name) = self.import(p, "ecc-vector", a, EC_PRIVATE) {
            if let Some(public) = self.export_public(p, &name, "ExportPublicKey ecc-vector") {
                let _ = self.check(
                    &scope,
                    "the imported private key's public key is the vector's",
                    public == EC_PUBLIC,
                    hex(&public),
                );
            }
            if p.has(Opcode::PsaSignHash) {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    "SignHash ecc-vector",
                    PsaSignHash,
                    psa_sign_hash::Operation {
                        key_name: name.clone(),
                        alg,
                        hash: z(&digest),
                    }
                ) {
                    let sig = r.signature.to_vec();
                    self.artefact(
                        p,
                        "ecdsa-p256-sha256",
                        &[("pub", EC_PUBLIC), ("hash", &digest), ("sig", &sig)],
                    );
                    // The vector's public key, imported alone, verifies it.
                    let a = attrs(
                        ECC_P256_PUB,
                        256,
                        usage_verify(),
                        Algorithm::AsymmetricSignature(alg),
                    );
                    if let Some(pub_name) = self.import(p, "ecc-vector-public", a, EC_PUBLIC) {
                        if let Some(public) = self.export_public(
                            p,
                            &pub_name,
                            "ExportPublicKey of an imported public key",
                        ) {
                            let _ = self.check(
                                &scope,
                                "it exports the imported point",
                                public == EC_PUBLIC,
                                hex(&public),
                            );
                        }
                        if p.has(Opcode::PsaVerifyHash) {
                            let _ = expect_ok!(
                                self,
                                p,
                                "VerifyHash with the imported public key",
                                PsaVerifyHash,
                                psa_verify_hash::Operation {
                                    key_name: pub_name.clone(),
                                    alg,
                                    hash: z(&digest),
                                    signature: z(&sig),
                                }
                            );
                            expect_status!(
                                self,
                                p,
                                "VerifyHash with the imported public key, tampered signature",
                                PsaVerifyHash,
                                psa_verify_hash::Operation {
                                    key_name: pub_name.clone(),
                                    alg,
                                    hash: z(&digest),
                                    signature: z(&flip(&sig, 40)),
                                },
                                ResponseStatus::PsaErrorInvalidSignature
                            );
                        }
                        if p.has(Opcode::PsaSignHash) {
                            expect_status!(
                                self,
                                p,
                                "SignHash with a public key",
                                PsaSignHash,
                                psa_sign_hash::Operation {
                                    key_name: pub_name.clone(),
                                    alg,
                                    hash: z(&digest),
                                },
                                ResponseStatus::PsaErrorNotPermitted
                            );
                        }
                    }
                }
            }
        }
        expect_status!(
            self,
            p,
            "ImportKey of data that is not a P-256 private key",
            PsaImportKey,
            psa_import_key::Operation {
                key_name: self.key_name("garbage"),
                attributes: attrs(
                    ECC_P256,
                    256,
                    usage_sign(false),
                    Algorithm::AsymmetricSignature(alg)
                ),
                data: Secret::new(vec![0xffu8; 32]),
            },
            ResponseStatus::PsaErrorInvalidArgument
        );
    }

    /// Sign and verify a hash and a message with one key; the artefacts
    /// let the caller verify the signatures with the public key.
    #[allow(clippy::too_many_arguments)]
    fn sign_with(
        &mut self,
        p: &mut Prov,
        name: &str,
        alg: AsymmetricSignature,
        digest: &[u8],
        other: &[u8],
        public: Option<&[u8]>,
        sig_len: usize,
        kind: &str,
    ) {
        let scope = p.scope.clone();
        let short = name
            .trim_start_matches(&format!("{}-", self.prefix))
            .to_string();
        let mut hash_sig: Option<Vec<u8>> = None;
        if p.has(Opcode::PsaSignHash) {
            if let Some(r) = expect_ok!(
                self,
                p,
                format!("SignHash {}", short),
                PsaSignHash,
                psa_sign_hash::Operation {
                    key_name: name.to_string(),
                    alg,
                    hash: z(digest),
                }
            ) {
                let sig = r.signature.to_vec();
                let _ = self.check(
                    &scope,
                    &format!("{} signature is {} bytes", short, sig_len),
                    sig.len() == sig_len,
                    format!("{} bytes", sig.len()),
                );
                if let Some(public) = public {
                    self.artefact(p, kind, &[("pub", public), ("hash", digest), ("sig", &sig)]);
                }
                hash_sig = Some(sig);
            }
        }
        if p.has(Opcode::PsaVerifyHash) {
            match hash_sig.as_ref() {
                Some(sig) => {
                    let _ = expect_ok!(
                        self,
                        p,
                        format!("VerifyHash {}", short),
                        PsaVerifyHash,
                        psa_verify_hash::Operation {
                            key_name: name.to_string(),
                            alg,
                            hash: z(digest),
                            signature: z(sig),
                        }
                    );
                    expect_status!(
                        self,
                        p,
                        format!("VerifyHash {} of a tampered signature", short),
                        PsaVerifyHash,
                        psa_verify_hash::Operation {
                            key_name: name.to_string(),
                            alg,
                            hash: z(digest),
                            signature: z(&flip(sig, 7)),
                        },
                        ResponseStatus::PsaErrorInvalidSignature
                    );
                    expect_status!(
                        self,
                        p,
                        format!("VerifyHash {} of another hash", short),
                        PsaVerifyHash,
                        psa_verify_hash::Operation {
                            key_name: name.to_string(),
                            alg,
                            hash: z(other),
                            signature: z(sig),
                        },
                        ResponseStatus::PsaErrorInvalidSignature
                    );
                }
                None => self.fail(
                    &scope,
                    "VerifyHash",
                    String::from("no signature to verify (SignHash not listed or failed)"),
                ),
            }
        }
        let mut msg_sig: Option<Vec<u8>> = None;
        if p.has(Opcode::PsaSignMessage) {
            if let Some(r) = expect_ok!(
                self,
                p,
                format!("SignMessage {}", short),
                PsaSignMessage,
                psa_sign_message::Operation {
                    key_name: name.to_string(),
                    alg,
                    message: z(MESSAGE),
                }
            ) {
                let sig = r.signature.to_vec();
                if let Some(public) = public {
                    self.artefact(
                        p,
                        &format!("{}-message", kind),
                        &[("pub", public), ("msg", MESSAGE), ("sig", &sig)],
                    );
                }
                msg_sig = Some(sig);
            }
        }
        if p.has(Opcode::PsaVerifyMessage) {
            // A hash signature is a message signature of the same message.
            match msg_sig.or(hash_sig) {
                Some(sig) => {
                    let _ = expect_ok!(
                        self,
                        p,
                        format!("VerifyMessage {}", short),
                        PsaVerifyMessage,
                        psa_verify_message::Operation {
                            key_name: name.to_string(),
                            alg,
                            message: z(MESSAGE),
                            signature: z(&sig),
                        }
                    );
                    expect_status!(
                        self,
                        p,
                        format!("VerifyMessage {} of a tampered signature", short),
                        PsaVerifyMessage,
                        psa_verify_message::Operation {
                            key_name: name.to_string(),
                            alg,
                            message: z(MESSAGE),
                            signature: z(&flip(&sig, 3)),
                        },
                        ResponseStatus::PsaErrorInvalidSignature
                    );
                }
                None => self.fail(
                    &scope,
                    "VerifyMessage",
                    String::from("no signature to verify"),
                ),
            }
        }
    }

    /// RSA OAEP (SHA-256) and PKCS#1 v1.5 encryption: round trips on a
    /// generated key, the vector's ciphertexts decrypted with the imported
    /// vector key, and ciphertexts left for the caller to decrypt.
    fn asymmetric_crypt(&mut self, p: &mut Prov) {
        if !p.has(Opcode::PsaAsymmetricEncrypt) && !p.has(Opcode::PsaAsymmetricDecrypt) {
            return;
        }
        let scope = p.scope.clone();
        let pt: &[u8] = b"parsec compat secret";
        for (short, alg) in [
            ("rsa-oaep", oaep()),
            ("rsa-pkcs1", AsymmetricEncryption::RsaPkcs1v15Crypt),
        ] {
            let a = attrs(
                Type::RsaKeyPair,
                2048,
                usage_crypt(false),
                Algorithm::AsymmetricEncryption(alg),
            );
            let name = match self.generate(p, short, a) {
                Some(n) => n,
                None => continue,
            };
            let salt = if short == "rsa-oaep" {
                Some(z(b"a label"))
            } else {
                None
            };
            let mut ct: Option<Vec<u8>> = None;
            if p.has(Opcode::PsaAsymmetricEncrypt) {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    format!("AsymmetricEncrypt {}", short),
                    PsaAsymmetricEncrypt,
                    psa_asymmetric_encrypt::Operation {
                        key_name: name.clone(),
                        alg,
                        plaintext: z(pt),
                        salt: salt.clone(),
                    }
                ) {
                    let _ = self.check(
                        &scope,
                        &format!("{} ciphertext is 256 bytes", short),
                        r.ciphertext.len() == 256,
                        format!("{} bytes", r.ciphertext.len()),
                    );
                    ct = Some(r.ciphertext.to_vec());
                }
            }
            if !p.has(Opcode::PsaAsymmetricDecrypt) {
                continue;
            }
            if let Some(ct) = ct {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    format!("AsymmetricDecrypt {}", short),
                    PsaAsymmetricDecrypt,
                    psa_asymmetric_decrypt::Operation {
                        key_name: name.clone(),
                        alg,
                        ciphertext: z(&ct),
                        salt: salt.clone(),
                    }
                ) {
                    let _ = self.check(
                        &scope,
                        &format!("{} round trip", short),
                        r.plaintext.as_slice() == pt,
                        hex(&r.plaintext),
                    );
                }
                if short == "rsa-oaep" {
                    expect_status!(
                        self,
                        p,
                        "AsymmetricDecrypt rsa-oaep of a corrupted ciphertext",
                        PsaAsymmetricDecrypt,
                        psa_asymmetric_decrypt::Operation {
                            key_name: name.clone(),
                            alg,
                            ciphertext: z(&flip(&ct, 9)),
                            salt: salt.clone(),
                        },
                        ResponseStatus::PsaErrorInvalidPadding
                    );
                }
            }
        }
        if !p.has(Opcode::PsaImportKey) {
            return;
        }
        // The vector key pair: decrypt openssl's ciphertexts; encrypt for the caller.
        for (short, alg, vector, kind) in [
            ("rsa-vector-oaep", oaep(), RSA_OAEP_CT, "rsa-oaep-sha256"),
            (
                "rsa-vector-pkcs1",
                AsymmetricEncryption::RsaPkcs1v15Crypt,
                RSA_PKCS1_CT,
                "rsa-pkcs1v15-crypt",
            ),
        ] {
            let a = attrs(
                Type::RsaKeyPair,
                2048,
                usage_crypt(false),
                Algorithm::AsymmetricEncryption(alg),
            );
            let name = match self.import(p, short, a, RSA_PRIVATE) {
                Some(n) => n,
                None => continue,
            };
            if p.has(Opcode::PsaAsymmetricDecrypt) {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    format!("AsymmetricDecrypt {} of openssl's ciphertext", short),
                    PsaAsymmetricDecrypt,
                    psa_asymmetric_decrypt::Operation {
                        key_name: name.clone(),
                        alg,
                        ciphertext: z(vector),
                        salt: None,
                    }
                ) {
                    let _ = self.check(
                        &scope,
                        &format!("{} gives openssl's plaintext", short),
                        r.plaintext.as_slice() == VECTOR_PLAINTEXT,
                        hex(&r.plaintext),
                    );
                }
            }
            if p.has(Opcode::PsaAsymmetricEncrypt) {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    format!("AsymmetricEncrypt {}", short),
                    PsaAsymmetricEncrypt,
                    psa_asymmetric_encrypt::Operation {
                        key_name: name.clone(),
                        alg,
                        plaintext: z(pt),
                        salt: None,
                    }
                ) {
                    self.artefact(
                        p,
                        kind,
                        &[("priv", RSA_PRIVATE), ("pt", pt), ("ct", &r.ciphertext)],
                    );
                }
            }
        }
        // The vector's public key alone encrypts for its private key.
        if p.has(Opcode::PsaAsymmetricEncrypt) && p.has(Opcode::PsaAsymmetricDecrypt) {
            let a = attrs(
                Type::RsaPublicKey,
                2048,
                usage_encrypt(),
                Algorithm::AsymmetricEncryption(oaep()),
            );
            if let Some(name) = self.import(p, "rsa-vector-public", a, RSA_PUBLIC) {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    "AsymmetricEncrypt with an imported RSA public key",
                    PsaAsymmetricEncrypt,
                    psa_asymmetric_encrypt::Operation {
                        key_name: name,
                        alg: oaep(),
                        plaintext: z(pt),
                        salt: None,
                    }
                ) {
                    if let Some(d) = expect_ok!(
                        self,
                        p,
                        "AsymmetricDecrypt of it with the imported private key",
                        PsaAsymmetricDecrypt,
                        psa_asymmetric_decrypt::Operation {
                            key_name: self.key_name("rsa-vector-oaep"),
                            alg: oaep(),
                            ciphertext: r.ciphertext,
                            salt: None,
                        }
                    ) {
                        let _ = self.check(
                            &scope,
                            "public-key encryption round trip",
                            d.plaintext.as_slice() == pt,
                            hex(&d.plaintext),
                        );
                    }
                }
            }
        }
    }

    fn export_key(&mut self, p: &mut Prov) {
        if !p.has(Opcode::PsaExportKey) {
            return;
        }
        let scope = p.scope.clone();
        // sign() imported ecc-vector with the export flag when ExportKey is listed.
        let vector = self.key_name("ecc-vector");
        if p.keys.iter().any(|(n, _)| *n == vector) {
            if let Some(r) = expect_ok!(
                self,
                p,
                "ExportKey ecc-vector (export flag)",
                PsaExportKey,
                psa_export_key::Operation { key_name: vector }
            ) {
                let got = r.data.expose_secret().clone();
                let _ = self.check(
                    &scope,
                    "ExportKey gives the imported private scalar",
                    got == EC_PRIVATE,
                    hex(&got),
                );
            }
        } else {
            self.fail(
                &scope,
                "ExportKey of an imported key",
                String::from("ImportKey of ecc-vector is needed"),
            );
        }
        let ecc = self.key_name("ecc");
        if p.keys.iter().any(|(n, _)| *n == ecc) {
            expect_status!(
                self,
                p,
                "ExportKey ecc (no export flag)",
                PsaExportKey,
                psa_export_key::Operation { key_name: ecc },
                ResponseStatus::PsaErrorNotPermitted
            );
        }
        expect_status!(
            self,
            p,
            "ExportKey of a key that does not exist",
            PsaExportKey,
            psa_export_key::Operation {
                key_name: self.key_name("missing"),
            },
            ResponseStatus::PsaErrorDoesNotExist
        );
    }

    /// AES-128-GCM with a 12-byte and a 13-byte nonce on the imported key
    /// 000102…0f (the caller checks the ciphertexts), and a round trip on a
    /// generated AES-256 key.
    fn aead(&mut self, p: &mut Prov) {
        if !p.has(Opcode::PsaAeadEncrypt) && !p.has(Opcode::PsaAeadDecrypt) {
            return;
        }
        let scope = p.scope.clone();
        let alg = gcm();
        let pt: &[u8] = b"parsec compat aead plaintext";
        let ad: &[u8] = b"additional data";
        let exportable = p.has(Opcode::PsaExportKey);
        let imported = self.import(
            p,
            "aes-gcm",
            attrs(
                Type::Aes,
                128,
                usage_crypt(exportable),
                Algorithm::Aead(alg),
            ),
            &AES_KEY,
        );
        if exportable {
            if let Some(name) = imported.as_ref() {
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    "ExportKey aes-gcm",
                    PsaExportKey,
                    psa_export_key::Operation {
                        key_name: name.clone()
                    }
                ) {
                    let got = r.data.expose_secret().clone();
                    let _ = self.check(
                        &scope,
                        "ExportKey gives the imported AES key",
                        got == AES_KEY,
                        hex(&got),
                    );
                }
            }
        }
        let generated = self.generate(
            p,
            "aes-gcm-256",
            attrs(Type::Aes, 256, usage_crypt(false), Algorithm::Aead(alg)),
        );
        let nonces: [(&str, Vec<u8>); 2] = [
            ("12-byte nonce", (0u8..12).collect()),
            ("13-byte nonce", (100u8..113).collect()),
        ];
        for (key, artefact) in [(imported, true), (generated, false)] {
            let name = match key {
                Some(n) => n,
                None => continue,
            };
            let short = name
                .trim_start_matches(&format!("{}-", self.prefix))
                .to_string();
            for (nlabel, nonce) in nonces.iter() {
                let mut ct: Option<Vec<u8>> = None;
                if p.has(Opcode::PsaAeadEncrypt) {
                    if let Some(r) = expect_ok!(
                        self,
                        p,
                        format!("AeadEncrypt {} AES-GCM, {}", short, nlabel),
                        PsaAeadEncrypt,
                        psa_aead_encrypt::Operation {
                            key_name: name.clone(),
                            alg,
                            nonce: z(nonce),
                            additional_data: z(ad),
                            plaintext: z(pt),
                        }
                    ) {
                        let c = r.ciphertext.to_vec();
                        let _ = self.check(
                            &scope,
                            &format!("{} ciphertext is the plaintext plus a 16-byte tag", short),
                            c.len() == pt.len() + 16,
                            format!("{} bytes", c.len()),
                        );
                        if artefact {
                            self.artefact(
                                p,
                                "aes-gcm",
                                &[
                                    ("key", &AES_KEY),
                                    ("nonce", nonce),
                                    ("ad", ad),
                                    ("pt", pt),
                                    ("ct", &c),
                                ],
                            );
                        }
                        ct = Some(c);
                    }
                }
                if !p.has(Opcode::PsaAeadDecrypt) {
                    continue;
                }
                let ct = match ct {
                    Some(c) => c,
                    None => {
                        self.fail(
                            &scope,
                            &format!("AeadDecrypt {} AES-GCM, {}", short, nlabel),
                            String::from("no ciphertext (AeadEncrypt not listed or failed)"),
                        );
                        continue;
                    }
                };
                if let Some(r) = expect_ok!(
                    self,
                    p,
                    format!("AeadDecrypt {} AES-GCM, {}", short, nlabel),
                    PsaAeadDecrypt,
                    psa_aead_decrypt::Operation {
                        key_name: name.clone(),
                        alg,
                        nonce: z(nonce),
                        additional_data: z(ad),
                        ciphertext: z(&ct),
                    }
                ) {
                    let _ = self.check(
                        &scope,
                        &format!("AES-GCM {} round trip, {}", short, nlabel),
                        r.plaintext.as_slice() == pt,
                        hex(&r.plaintext),
                    );
                }
                expect_status!(
                    self,
                    p,
                    format!("AeadDecrypt {} of a tampered ciphertext, {}", short, nlabel),
                    PsaAeadDecrypt,
                    psa_aead_decrypt::Operation {
                        key_name: name.clone(),
                        alg,
                        nonce: z(nonce),
                        additional_data: z(ad),
                        ciphertext: z(&flip(&ct, 2)),
                    },
                    ResponseStatus::PsaErrorInvalidSignature
                );
            }
        }
    }

    /// AES-128-CBC with PKCS#7 padding on the imported key 000102…0f:
    /// the service picks the IV and prepends it.
    fn cipher(&mut self, p: &mut Prov) {
        if !p.has(Opcode::PsaCipherEncrypt) && !p.has(Opcode::PsaCipherDecrypt) {
            return;
        }
        let scope = p.scope.clone();
        let alg = Cipher::CbcPkcs7;
        let pt: &[u8] = b"parsec compat cipher";
        let name = match self.import(
            p,
            "aes-cbc",
            attrs(Type::Aes, 128, usage_crypt(false), Algorithm::Cipher(alg)),
            &AES_KEY,
        ) {
            Some(n) => n,
            None => return,
        };
        let mut ct: Option<Vec<u8>> = None;
        if p.has(Opcode::PsaCipherEncrypt) {
            if let Some(r) = expect_ok!(
                self,
                p,
                "CipherEncrypt AES-CBC-PKCS7",
                PsaCipherEncrypt,
                psa_cipher_encrypt::Operation {
                    key_name: name.clone(),
                    alg,
                    plaintext: z(pt),
                }
            ) {
                let c = r.ciphertext.to_vec();
                let _ = self.check(
                    &scope,
                    "the CBC ciphertext is a 16-byte IV and two blocks",
                    c.len() == 48,
                    format!("{} bytes", c.len()),
                );
                self.artefact(
                    p,
                    "aes-cbc-pkcs7",
                    &[("key", &AES_KEY), ("pt", pt), ("ct", &c)],
                );
                ct = Some(c);
            }
        }
        if !p.has(Opcode::PsaCipherDecrypt) {
            return;
        }
        let ct = match ct {
            Some(c) => c,
            None => {
                self.fail(
                    &scope,
                    "CipherDecrypt",
                    String::from("no ciphertext (CipherEncrypt not listed or failed)"),
                );
                return;
            }
        };
        if let Some(r) = expect_ok!(
            self,
            p,
            "CipherDecrypt AES-CBC-PKCS7",
            PsaCipherDecrypt,
            psa_cipher_decrypt::Operation {
                key_name: name.clone(),
                alg,
                ciphertext: z(&ct),
            }
        ) {
            let _ = self.check(
                &scope,
                "AES-CBC round trip",
                r.plaintext.as_slice() == pt,
                hex(&r.plaintext),
            );
        }
        expect_status!(
            self,
            p,
            "CipherDecrypt of a ciphertext that is not whole blocks",
            PsaCipherDecrypt,
            psa_cipher_decrypt::Operation {
                key_name: name.clone(),
                alg,
                ciphertext: z(&ct[..ct.len() - 1]),
            },
            ResponseStatus::PsaErrorInvalidArgument
        );
    }

    /// ECDH on P-256 between the imported vector key and a generated key,
    /// computed on both sides; the caller recomputes it.
    fn agreement(&mut self, p: &mut Prov) {
        if !p.has(Opcode::PsaRawKeyAgreement) {
            return;
        }
        let scope = p.scope.clone();
        let a = attrs(ECC_P256, 256, usage_derive(), ecdh());
        let vector = self.import(p, "ecdh-vector", a, EC_PRIVATE);
        let generated = self.generate(p, "ecdh", a);
        let (vector, generated) = match (vector, generated) {
            (Some(v), Some(g)) => (v, g),
            _ => return,
        };
        let gen_pub = match self.export_public(p, &generated, "ExportPublicKey ecdh") {
            Some(k) => k,
            None => return,
        };
        let ours = expect_ok!(
            self,
            p,
            "RawKeyAgreement ECDH (vector key, generated peer)",
            PsaRawKeyAgreement,
            psa_raw_key_agreement::Operation {
                alg: RawKeyAgreement::Ecdh,
                private_key_name: vector.clone(),
                peer_key: z(&gen_pub),
            }
        );
        let theirs = expect_ok!(
            self,
            p,
            "RawKeyAgreement ECDH (generated key, vector peer)",
            PsaRawKeyAgreement,
            psa_raw_key_agreement::Operation {
                alg: RawKeyAgreement::Ecdh,
                private_key_name: generated.clone(),
                peer_key: z(EC_PUBLIC),
            }
        );
        if let (Some(a), Some(b)) = (ours, theirs) {
            let a = a.shared_secret.expose_secret().clone();
            let b = b.shared_secret.expose_secret().clone();
            let _ = self.check(
                &scope,
                "both sides agree on a 32-byte secret",
                a == b && a.len() == 32,
                format!("{} vs {}", hex(&a), hex(&b)),
            );
            self.artefact(
                p,
                "ecdh-p256",
                &[("priv", EC_PRIVATE), ("peer", &gen_pub), ("secret", &a)],
            );
        }
        let mut bad = vec![0u8; 65];
        bad[0] = 4;
        expect_status!(
            self,
            p,
            "RawKeyAgreement with a peer key not on the curve",
            PsaRawKeyAgreement,
            psa_raw_key_agreement::Operation {
                alg: RawKeyAgreement::Ecdh,
                private_key_name: vector,
                peer_key: z(&bad),
            },
            ResponseStatus::PsaErrorInvalidArgument
        );
    }

    fn can_do_crypto(&mut self, p: &mut Prov) {
        if !p.has(Opcode::CanDoCrypto) {
            return;
        }
        let alg = Algorithm::AsymmetricSignature(ecdsa());
        let _ = expect_ok!(
            self,
            p,
            "CanDoCrypto Use, ECC P-256 pair, sign_hash, ECDSA SHA-256",
            CanDoCrypto,
            can_do_crypto::Operation {
                check_type: can_do_crypto::CheckType::Use,
                attributes: attrs(ECC_P256, 256, usage_sign(false), alg),
            }
        );
        let _ = expect_ok!(
            self,
            p,
            "CanDoCrypto Generate, ECC P-256 pair",
            CanDoCrypto,
            can_do_crypto::Operation {
                check_type: can_do_crypto::CheckType::Generate,
                attributes: attrs(ECC_P256, 256, usage_sign(false), alg),
            }
        );
        expect_status!(
            self,
            p,
            "CanDoCrypto Use, ECC SECP-R1 1024 bits (Parsec: NotSupported)",
            CanDoCrypto,
            can_do_crypto::Operation {
                check_type: can_do_crypto::CheckType::Use,
                attributes: attrs(ECC_P256, 1024, usage_sign(false), alg),
            },
            ResponseStatus::PsaErrorNotSupported
        );
        expect_status!(
            self,
            p,
            "CanDoCrypto Use, RSA pair 256 bits (Parsec: NotSupported)",
            CanDoCrypto,
            can_do_crypto::Operation {
                check_type: can_do_crypto::CheckType::Use,
                attributes: attrs(
                    Type::RsaKeyPair,
                    256,
                    usage_sign(false),
                    Algorithm::AsymmetricSignature(rsa_pkcs1_sign())
                ),
            },
            ResponseStatus::PsaErrorNotSupported
        );
    }

    /// TPM key attestation (ActivateCredential). With --attest-stdio the
    /// caller makes the credential and the released credential is checked.
    fn attestation(&mut self, p: &mut Prov) {
        if !p.has(Opcode::PrepareKeyAttestation) && !p.has(Opcode::AttestKey) {
            return;
        }
        let scope = p.scope.clone();
        let alg = Algorithm::AsymmetricSignature(ecdsa());
        let name = match self.generate(p, "attested", attrs(ECC_P256, 256, usage_sign(false), alg))
        {
            Some(n) => n,
            None => return,
        };
        let mut params: Option<(Vec<u8>, Vec<u8>, Vec<u8>)> = None;
        if p.has(Opcode::PrepareKeyAttestation) {
            if let Some(r) = expect_ok!(
                self,
                p,
                "PrepareKeyAttestation ActivateCredential",
                PrepareKeyAttestation,
                prepare_key_attestation::Operation::ActivateCredential {
                    attested_key_name: name.clone(),
                    attesting_key_name: None,
                }
            ) {
                match r {
                    prepare_key_attestation::Result::ActivateCredential {
                        name: n,
                        public,
                        attesting_key_pub,
                    } => {
                        let ok =
                            !n.is_empty() && !public.is_empty() && !attesting_key_pub.is_empty();
                        let _ = self.check(&scope, "PrepareKeyAttestation gives a name, a public area and the attesting key", ok, format!("{} / {} / {} bytes", n.len(), public.len(), attesting_key_pub.len()));
                        params = Some((n.to_vec(), public.to_vec(), attesting_key_pub.to_vec()));
                    }
                    #[allow(unreachable_patterns)]
                    _ => self.fail(
                        &scope,
                        "PrepareKeyAttestation",
                        String::from("an unknown result kind"),
                    ),
                }
            }
        }
        if !p.has(Opcode::AttestKey) {
            return;
        }
        let (blob, secret, credential) = match (params, self.attest_stdio) {
            (Some((n, public, ek)), true) => {
                println!(
                    "MAKECREDENTIAL name={} public={} ekpub={}",
                    hex(&n),
                    hex(&public),
                    hex(&ek)
                );
                let _ = std::io::stdout().flush();
                let mut line = String::new();
                let _ = std::io::stdin().lock().read_line(&mut line);
                let mut blob = None;
                let mut secret = None;
                let mut credential = None;
                for f in line.split_whitespace() {
                    if let Some(v) = f.strip_prefix("blob=") {
                        blob = unhex(v);
                    } else if let Some(v) = f.strip_prefix("secret=") {
                        secret = unhex(v);
                    } else if let Some(v) = f.strip_prefix("credential=") {
                        credential = unhex(v);
                    }
                }
                match (blob, secret, credential) {
                    (Some(b), Some(s), Some(c)) => (b, s, Some(c)),
                    _ => {
                        self.fail(
                            &scope,
                            "AttestKey",
                            format!("no credential from standard input ({:?})", line.trim()),
                        );
                        return;
                    }
                }
            }
            _ => (vec![1u8; 48], vec![2u8; 256], None),
        };
        let op = attest_key::Operation::ActivateCredential {
            attested_key_name: name.clone(),
            credential_blob: Zeroizing::new(blob.clone()),
            secret: Zeroizing::new(secret.clone()),
            attesting_key_name: None,
        };
        match credential {
            Some(want) => {
                if let Some(r) = expect_ok!(self, p, "AttestKey ActivateCredential", AttestKey, op)
                {
                    match r {
                        attest_key::Result::ActivateCredential { credential } => {
                            let _ = self.check(
                                &scope,
                                "AttestKey releases the credential",
                                credential.as_slice() == want.as_slice(),
                                hex(&credential),
                            );
                        }
                        #[allow(unreachable_patterns)]
                        _ => self.fail(&scope, "AttestKey", String::from("an unknown result kind")),
                    }
                }
                // The same credential is refused for another key.
                if let Some(other) = self.generate(
                    p,
                    "not-attested",
                    attrs(ECC_P256, 256, usage_sign(false), alg),
                ) {
                    let _ = p.done.insert(Opcode::AttestKey as u32);
                    let res = self.client.call(
                        p.id,
                        NativeOperation::AttestKey(attest_key::Operation::ActivateCredential {
                            attested_key_name: other,
                            credential_blob: Zeroizing::new(blob),
                            secret: Zeroizing::new(secret),
                            attesting_key_name: None,
                        }),
                    );
                    let _ = self.check(
                        &scope,
                        "AttestKey refuses a credential made for another key",
                        res.is_err(),
                        String::from("it released it"),
                    );
                }
            }
            None => {
                // Without a verifier: a made-up credential must be refused.
                let _ = p.done.insert(Opcode::AttestKey as u32);
                let res = self.client.call(p.id, NativeOperation::AttestKey(op));
                let why = match &res {
                    Ok(_) => String::from("it succeeded"),
                    Err(e) => e.to_string(),
                };
                let ok = matches!(&res, Err(e) if e.status().is_some());
                let _ = self.check(
                    &scope,
                    "AttestKey of a made-up credential is refused with a status",
                    ok,
                    why,
                );
            }
        }
    }

    /// ListKeys (core) shows every key of this provider with the attributes
    /// it was made with.
    fn list_keys(&mut self, p: &mut Prov, core: &mut Prov) {
        let scope = p.scope.clone();
        let r = match expect_ok!(
            self,
            core,
            format!("ListKeys (with the keys of {})", p.id),
            ListKeys,
            list_keys::Operation {}
        ) {
            Some(r) => r,
            None => return,
        };
        for (name, a) in p.keys.clone() {
            let found = r
                .keys
                .iter()
                .find(|k| k.name == name && k.provider_id == p.id);
            let short = name
                .trim_start_matches(&format!("{}-", self.prefix))
                .to_string();
            match found {
                Some(k) => {
                    let _ = self.check(
                        &scope,
                        &format!("ListKeys shows {} with its attributes", short),
                        k.attributes == a,
                        format!("{:?}, want {:?}", k.attributes, a),
                    );
                }
                None => self.fail(
                    &scope,
                    &format!("ListKeys shows {}", short),
                    String::from("not listed"),
                ),
            }
        }
    }

    fn destroy(&mut self, p: &mut Prov, core: &mut Prov) {
        if p.keys.is_empty() {
            if p.has(Opcode::PsaDestroyKey) {
                self.fail(
                    &p.scope.clone(),
                    "DestroyKey",
                    String::from("no key was made to destroy"),
                );
            }
            return;
        }
        for (name, _) in p.keys.clone() {
            let short = name
                .trim_start_matches(&format!("{}-", self.prefix))
                .to_string();
            let _ = expect_ok!(
                self,
                p,
                format!("DestroyKey {}", short),
                PsaDestroyKey,
                psa_destroy_key::Operation { key_name: name }
            );
        }
        let first = p.keys[0].0.clone();
        expect_status!(
            self,
            p,
            "DestroyKey of a destroyed key",
            PsaDestroyKey,
            psa_destroy_key::Operation {
                key_name: first.clone()
            },
            ResponseStatus::PsaErrorDoesNotExist
        );
        if p.has(Opcode::PsaExportPublicKey) {
            expect_status!(
                self,
                p,
                "ExportPublicKey of a destroyed key",
                PsaExportPublicKey,
                psa_export_public_key::Operation { key_name: first },
                ResponseStatus::PsaErrorDoesNotExist
            );
        }
        if let Some(r) = expect_ok!(
            self,
            core,
            format!("ListKeys (after destroying the keys of {})", p.id),
            ListKeys,
            list_keys::Operation {}
        ) {
            let left: Vec<String> = r
                .keys
                .iter()
                .filter(|k| k.provider_id == p.id && k.name.starts_with(&self.prefix))
                .map(|k| k.name.clone())
                .collect();
            let _ = self.check(
                &p.scope.clone(),
                "ListKeys no longer shows them",
                left.is_empty(),
                format!("{:?}", left),
            );
        }
    }

    /// The admin opcodes, when the core lists them: ListClients shows this
    /// application (the service must make it an admin), DeleteClient of
    /// an unknown client succeeds.
    fn admin(&mut self, core: &mut Prov) {
        if core.has(Opcode::ListClients) {
            if let Some(r) = expect_ok!(
                self,
                core,
                "ListClients",
                ListClients,
                list_clients::Operation {}
            ) {
                let _ = self.check(
                    "core",
                    "ListClients answers a list",
                    true,
                    format!("{:?}", r.clients),
                );
            }
        }
        if core.has(Opcode::DeleteClient) {
            let _ = expect_ok!(
                self,
                core,
                "DeleteClient of a client without keys",
                DeleteClient,
                delete_client::Operation {
                    client: format!("{}-nobody", self.prefix),
                }
            );
        }
    }
}

fn opcodes_str(ops: &BTreeSet<u32>) -> String {
    let v: Vec<String> = ops.iter().map(|o| format!("0x{:02x}", o)).collect();
    v.join(" ")
}
