//! Signed checkpoints: the C2SP tlog-checkpoint text inside a C2SP signed note with an Ed25519
//! signature, and the verifier and signer key texts, as `golang.org/x/mod/sumdb/note` writes them
//! (so existing transparency tooling reads our checkpoints and we read theirs).
//!
//! A signed note is its text (ending in a newline), a blank line, and signature lines
//! `— <key name> <base64(4-byte key hash || 64-byte Ed25519 signature)>` (an em dash, U+2014).
//! The signature is over the text bytes, final newline included. The key hash is the first four
//! bytes, big-endian, of `SHA-256(key name || 0x0A || 0x01 || 32-byte public key)`; `0x01` is the
//! Ed25519 algorithm byte.
//!
//! A verifier key is `<name>+<8 hex digits of key hash>+<base64(0x01 || public key)>`, a signer
//! key `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || 32-byte seed)>`.
//!
//! A checkpoint's text is the origin line, the tree size in decimal (no leading zeros), the root
//! hash in standard base64, then optional non-empty extension lines.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::LedgerError;
use crate::merkle::Hash;
use crate::signature::PublicKey;

/// The algorithm byte of an Ed25519 key in a note key.
pub const ALG_ED25519: u8 = 0x01;

/// The most signatures a note may carry (as in Go's implementation), so that a hostile note
/// cannot make a reader spend unbounded time.
pub const MAX_SIGNATURES: usize = 100;

const SIG_PREFIX: &str = "\u{2014} ";

/// The key hash of an Ed25519 verifier key: the first four bytes, big-endian, of
/// `SHA-256(name || "\n" || 0x01 || public key)`.
pub fn key_hash(name: &str, public_key: &PublicKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ALG_ED25519]);
    hasher.update(public_key.0);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A key name: not empty, no Unicode space, no `+`.
fn check_key_name(name: &str) -> Result<(), LedgerError> {
    if name.is_empty() || name.chars().any(char::is_whitespace) || name.contains('+') {
        return Err(LedgerError::key(format!("`{name}` is not a key name (non-empty, no spaces, no `+`)")));
    }
    Ok(())
}

/// Reads `<hash hex>+<base64 key>` after the name, checking the algorithm byte and length.
fn parse_key_parts(rest: &str, what: &str) -> Result<(u32, [u8; 32]), LedgerError> {
    let (hash_hex, key64) = rest
        .split_once('+')
        .ok_or_else(|| LedgerError::key(format!("a {what} key is `<name>+<key hash>+<base64 key>`")))?;
    if hash_hex.len() != 8 || !hash_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LedgerError::key(format!("key hash `{hash_hex}` is not 8 hex digits")));
    }
    let hash = u32::from_str_radix(hash_hex, 16).map_err(|_| LedgerError::key("key hash is not hex"))?;
    let key = STANDARD.decode(key64).map_err(|_| LedgerError::key(format!("`{key64}` is not base64")))?;
    match key.split_first() {
        Some((&ALG_ED25519, bytes)) if bytes.len() == 32 => {
            let mut array = [0u8; 32];
            array.copy_from_slice(bytes);
            Ok((hash, array))
        }
        Some((&ALG_ED25519, bytes)) => {
            Err(LedgerError::key(format!("an Ed25519 key is 32 bytes, got {}", bytes.len())))
        }
        Some((alg, _)) => Err(LedgerError::key(format!("unknown key algorithm {alg} (only 1, Ed25519, is known)"))),
        None => Err(LedgerError::key("empty key")),
    }
}

/// Checks signed notes made with one Ed25519 key.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_hash: u32,
    public_key: PublicKey,
    key: VerifyingKey,
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.vkey())
    }
}

impl NoteVerifier {
    pub fn new(name: &str, public_key: PublicKey) -> Result<NoteVerifier, LedgerError> {
        check_key_name(name)?;
        let key = public_key.verifying_key()?;
        Ok(NoteVerifier { name: name.to_owned(), key_hash: key_hash(name, &public_key), public_key, key })
    }

    /// Reads a verifier key, `<name>+<key hash>+<base64(0x01 || public key)>`.
    pub fn from_vkey(text: &str) -> Result<NoteVerifier, LedgerError> {
        let (name, rest) = text
            .split_once('+')
            .ok_or_else(|| LedgerError::key("a verifier key is `<name>+<key hash>+<base64 key>`"))?;
        check_key_name(name)?;
        let (hash, key) = parse_key_parts(rest, "verifier")?;
        let verifier = NoteVerifier::new(name, PublicKey(key))?;
        if verifier.key_hash != hash {
            return Err(LedgerError::key(format!(
                "key hash `{hash:08x}` does not match the name and key (expected `{:08x}`)",
                verifier.key_hash
            )));
        }
        Ok(verifier)
    }

    /// The verifier key text.
    pub fn vkey(&self) -> String {
        let mut key = vec![ALG_ED25519];
        key.extend_from_slice(&self.public_key.0);
        format!("{}+{:08x}+{}", self.name, self.key_hash, STANDARD.encode(key))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }
}

/// Signs notes with one Ed25519 key.
pub struct NoteSigner {
    name: String,
    key_hash: u32,
    signing: SigningKey,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never appears in logs or error output.
        f.debug_struct("NoteSigner").field("name", &self.name).field("key_hash", &self.key_hash).finish()
    }
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed (the caller draws it from the system's generator).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteSigner, LedgerError> {
        check_key_name(name)?;
        let signing = SigningKey::from_bytes(seed);
        let public_key = PublicKey(signing.verifying_key().to_bytes());
        Ok(NoteSigner { name: name.to_owned(), key_hash: key_hash(name, &public_key), signing })
    }

    /// Reads a signer key, `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>`.
    pub fn from_skey(text: &str) -> Result<NoteSigner, LedgerError> {
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| LedgerError::key("a signer key starts with `PRIVATE+KEY+`"))?;
        let (name, rest) = rest
            .split_once('+')
            .ok_or_else(|| LedgerError::key("a signer key is `PRIVATE+KEY+<name>+<key hash>+<base64 key>`"))?;
        check_key_name(name)?;
        let (hash, seed) = parse_key_parts(rest, "signer")?;
        let signer = NoteSigner::from_seed(name, &seed)?;
        if signer.key_hash != hash {
            return Err(LedgerError::key(format!(
                "key hash `{hash:08x}` does not match the name and the key's public half (expected `{:08x}`)",
                signer.key_hash
            )));
        }
        Ok(signer)
    }

    /// The signer key text (a secret: write it only where the key belongs).
    pub fn skey(&self) -> String {
        let mut key = vec![ALG_ED25519];
        key.extend_from_slice(&self.signing.to_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.key_hash, STANDARD.encode(key))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// The 32-byte seed.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The Ed25519 key itself, for the log's own audit entries.
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    pub fn verifier(&self) -> NoteVerifier {
        let public_key = PublicKey(self.signing.verifying_key().to_bytes());
        NoteVerifier { name: self.name.clone(), key_hash: self.key_hash, public_key, key: self.signing.verifying_key() }
    }

    /// Signs `text` (which must end in a newline) and returns the whole signed note.
    pub fn sign(&self, text: &str) -> Result<String, LedgerError> {
        check_note_chars(text)?;
        if !text.ends_with('\n') {
            return Err(LedgerError::note("the text must end with a newline"));
        }
        let signature = self.signing.sign(text.as_bytes()).to_bytes();
        let note = SignedNote {
            text: text.to_owned(),
            signatures: vec![NoteSignature {
                name: self.name.clone(),
                key_hash: self.key_hash,
                signature: signature.to_vec(),
            }],
        };
        Ok(note.to_text())
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: u32,
    /// The signature bytes after the key hash (64 for Ed25519).
    pub signature: Vec<u8>,
}

/// A signed note, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text, final newline included.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

fn check_note_chars(text: &str) -> Result<(), LedgerError> {
    if text.chars().any(|c| u32::from(c) < 0x20 && c != '\n') {
        return Err(LedgerError::note("contains a control character other than newline"));
    }
    Ok(())
}

impl SignedNote {
    /// Splits a note into its text and signature lines, checking the syntax as Go's
    /// `note.Open` does (no control characters but newline, a blank line before the signatures,
    /// every signature line well formed, at most [`MAX_SIGNATURES`]).
    pub fn parse(message: &str) -> Result<SignedNote, LedgerError> {
        check_note_chars(message)?;
        let split = message.rfind("\n\n").ok_or_else(|| LedgerError::note("no blank line before the signatures"))?;
        let (text, sigs) = (&message[..split + 1], &message[split + 2..]);
        if sigs.is_empty() {
            return Err(LedgerError::note("no signature lines"));
        }
        let Some(sigs) = sigs.strip_suffix('\n') else {
            return Err(LedgerError::note("the last signature line does not end with a newline"));
        };
        let mut signatures = Vec::new();
        for (i, line) in sigs.split('\n').enumerate() {
            if i >= MAX_SIGNATURES {
                return Err(LedgerError::note(format!("more than {MAX_SIGNATURES} signatures")));
            }
            let bad = |reason: &str| LedgerError::note(format!("signature line {}: {reason}", i + 1));
            let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| bad("does not start with `— `"))?;
            let (name, b64) = rest.split_once(' ').ok_or_else(|| bad("no space between key name and signature"))?;
            if check_key_name(name).is_err() {
                return Err(bad(&format!("`{name}` is not a key name")));
            }
            let bytes = STANDARD.decode(b64).map_err(|_| bad("the signature is not base64"))?;
            if bytes.len() < 5 {
                return Err(bad("the signature is too short"));
            }
            let key_hash = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            signatures.push(NoteSignature { name: name.to_owned(), key_hash, signature: bytes[4..].to_vec() });
        }
        Ok(SignedNote { text: text.to_owned(), signatures })
    }

    /// The note as text: the text, a blank line, one line per signature.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for sig in &self.signatures {
            let mut bytes = sig.key_hash.to_be_bytes().to_vec();
            bytes.extend_from_slice(&sig.signature);
            out.push_str(SIG_PREFIX);
            out.push_str(&sig.name);
            out.push(' ');
            out.push_str(&STANDARD.encode(bytes));
            out.push('\n');
        }
        out
    }

    /// Checks that the note carries a valid signature by `verifier`'s key. Signatures by other
    /// keys are ignored (the C2SP spec requires it: witnesses co-sign, keys rotate); a signature
    /// under the verifier's name and key hash that does not verify is an error.
    pub fn verify(&self, verifier: &NoteVerifier) -> Result<(), LedgerError> {
        let mut found = false;
        for sig in &self.signatures {
            if sig.name != verifier.name || sig.key_hash != verifier.key_hash {
                continue;
            }
            let invalid = || LedgerError::InvalidNoteSignature { name: sig.name.clone(), key_hash: sig.key_hash };
            let signature = ed25519_dalek::Signature::from_slice(&sig.signature).map_err(|_| invalid())?;
            // Plain RFC 8032 verification, as Go's crypto/ed25519 does, so that notes signed by
            // Go tooling verify here exactly as they do there.
            ed25519_dalek::Verifier::verify(&verifier.key, self.text.as_bytes(), &signature).map_err(|_| invalid())?;
            found = true;
        }
        if !found {
            return Err(LedgerError::NoSignatureByKey { name: verifier.name.clone(), key_hash: verifier.key_hash });
        }
        Ok(())
    }
}

/// Parses a signed note, verifies it with `verifier`, and returns its text.
pub fn open_note(message: &str, verifier: &NoteVerifier) -> Result<String, LedgerError> {
    let note = SignedNote::parse(message)?;
    note.verify(verifier)?;
    Ok(note.text)
}

/// A log's tree head as a C2SP tlog-checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Who issued it, such as `chipwarden.example/custody`; the signing key's name should match.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque extension lines (not recommended by the spec; kept for reading others' checkpoints).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint text (the note body), ending with a newline.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root.0));
        for line in &self.extensions {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Reads a checkpoint text (a note body, without signatures).
    pub fn parse(text: &str) -> Result<Checkpoint, LedgerError> {
        let body =
            text.strip_suffix('\n').ok_or_else(|| LedgerError::checkpoint(1, "the text must end with a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if let Some(i) = lines.iter().position(|line| line.is_empty()) {
            return Err(LedgerError::checkpoint(i + 1, "empty line"));
        }
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(LedgerError::checkpoint(
                lines.len() + 1,
                "a checkpoint has an origin, a tree size and a root hash",
            ));
        };
        if !size.bytes().all(|b| b.is_ascii_digit()) || (size.len() > 1 && size.starts_with('0')) {
            return Err(LedgerError::checkpoint(
                2,
                format!("tree size `{size}` is not a decimal number without leading zeros"),
            ));
        }
        let size: u64 =
            size.parse().map_err(|_| LedgerError::checkpoint(2, format!("tree size `{size}` is too large")))?;
        let bytes = STANDARD
            .decode(root)
            .map_err(|_| LedgerError::checkpoint(3, format!("root hash `{root}` is not base64")))?;
        let hash = Hash::from_slice(&bytes).map_err(|e| LedgerError::checkpoint(3, e.to_string()))?;
        if STANDARD.encode(hash.0) != *root {
            return Err(LedgerError::checkpoint(3, format!("root hash `{root}` is not in canonical base64")));
        }
        Ok(Checkpoint {
            origin: (*origin).to_owned(),
            size,
            root: hash,
            extensions: extensions.iter().map(|line| (*line).to_owned()).collect(),
        })
    }

    /// Signs the checkpoint and returns the signed note.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, LedgerError> {
        for (line, text) in std::iter::once(&self.origin).chain(&self.extensions).enumerate() {
            if text.is_empty() || text.contains('\n') {
                let line = if line == 0 { 1 } else { line + 3 };
                return Err(LedgerError::checkpoint(line, "lines must be non-empty and hold no newline"));
            }
        }
        signer.sign(&self.to_text())
    }
}

/// Parses a signed checkpoint note and verifies its signature by `verifier`.
pub fn open_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, LedgerError> {
    let text = open_note(note, verifier)?;
    Checkpoint::parse(&text)
}
