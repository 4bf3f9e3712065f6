//! Signed notes and checkpoints against Go's reference implementation's test vectors, and the
//! checkpoint text format's edge cases.
//!
//! The PeterNeumann and EnochRoot keys, the quoted text and its signatures are from
//! `sumdb/note/note_test.go` in golang.org/x/mod (github.com/golang/mod, BSD-3-Clause), tests
//! `TestNewVerifier`, `TestNewSigner`, `TestSign` and `TestOpen`.

use chipwarden_ledger::{
    Checkpoint, Hash, LedgerError, NoteSigner, NoteVerifier, SignedNote, leaf_hash, open_checkpoint, open_note,
};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str =
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str =
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> NoteVerifier {
    NoteVerifier::from_vkey(PETER_VKEY).expect("Go's verifier key")
}

fn enoch() -> NoteVerifier {
    NoteVerifier::from_vkey(ENOCH_VKEY).expect("Go's verifier key")
}

#[test]
fn go_verifier_key_reads_and_round_trips() {
    let verifier = peter();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_hash(), 0xc74f20a3);
    assert_eq!(verifier.vkey(), PETER_VKEY);
    assert_eq!(chipwarden_ledger::key_hash("PeterNeumann", &verifier.public_key()), 0xc74f20a3);
}

#[test]
fn every_mangled_verifier_key_is_refused() {
    let bytes = PETER_VKEY.as_bytes();
    for i in 0..=bytes.len() {
        for j in i + 1..=bytes.len() {
            if i == 0 && j == bytes.len() {
                continue;
            }
            let part = &PETER_VKEY[i..j];
            assert!(NoteVerifier::from_vkey(part).is_err(), "substring `{part}` accepted");
        }
    }
    for i in 0..bytes.len() {
        let mut mangled = bytes.to_vec();
        mangled[i] += 1;
        let mangled = String::from_utf8(mangled).expect("ascii");
        assert!(NoteVerifier::from_vkey(&mangled).is_err(), "`{mangled}` accepted");
    }
    // Wrong key length and unknown algorithm, each with a key hash adjusted to match (from Go).
    for bad in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ] {
        assert!(matches!(NoteVerifier::from_vkey(bad), Err(LedgerError::Key { .. })), "`{bad}` accepted");
    }
}

#[test]
fn go_signer_key_signs_exactly_as_go_does() {
    let signer = NoteSigner::from_skey(PETER_SKEY).expect("Go's signer key");
    assert_eq!(signer.skey(), PETER_SKEY);
    assert_eq!(signer.verifier().vkey(), PETER_VKEY);
    let note = signer.sign(TEXT).expect("sign");
    assert_eq!(note, format!("{TEXT}\n{PETER_SIG}"));
    assert!(matches!(signer.sign("abc"), Err(LedgerError::MalformedNote { .. })));

    let bytes = PETER_SKEY.as_bytes();
    for i in 0..bytes.len() {
        let mut mangled = bytes.to_vec();
        mangled[i] += 1;
        let mangled = String::from_utf8(mangled).expect("ascii");
        assert!(NoteSigner::from_skey(&mangled).is_err(), "`{mangled}` accepted");
    }
}

#[test]
fn go_notes_open() {
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    assert_eq!(open_note(&both, &peter()).expect("peter's signature"), TEXT);
    assert_eq!(open_note(&both, &enoch()).expect("enoch's signature"), TEXT);
    let parsed = SignedNote::parse(&both).expect("parse");
    assert_eq!(parsed.signatures.len(), 2);
    assert_eq!(parsed.signatures[1].key_hash, 0xaf0cfe78);
    assert_eq!(parsed.to_text(), both);

    // A key that did not sign: unknown signatures are ignored, so nothing verifies.
    let other = NoteSigner::from_seed("PeterNeumann", &[9; 32]).expect("key").verifier();
    let only_peter = format!("{TEXT}\n{PETER_SIG}");
    assert!(matches!(open_note(&only_peter, &enoch()), Err(LedgerError::NoSignatureByKey { .. })));
    assert!(matches!(open_note(&only_peter, &other), Err(LedgerError::NoSignatureByKey { .. })));

    // A corrupted signature by a known key (Go: "invalid signature for key").
    let corrupt = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(open_note(&corrupt, &peter()), Err(LedgerError::InvalidNoteSignature { .. })));
    // The same signature on other text.
    let other_text = format!("{}\n{PETER_SIG}", TEXT.replace("answer", "answers"));
    assert!(matches!(open_note(&other_text, &peter()), Err(LedgerError::InvalidNoteSignature { .. })));

    // Go's malformed messages.
    let bad_messages = [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!(
            "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        ),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n{}", PETER_SIG.repeat(101)),
    ];
    for message in &bad_messages {
        assert!(
            matches!(open_note(message, &peter()), Err(LedgerError::MalformedNote { .. })),
            "accepted or wrong error: {message:?}"
        );
    }
}

fn signer() -> NoteSigner {
    NoteSigner::from_seed("chipwarden.example/custody", &[42; 32]).expect("key")
}

#[test]
fn checkpoints_sign_parse_and_verify() {
    let checkpoint = Checkpoint {
        origin: "chipwarden.example/custody".to_owned(),
        size: 20852163,
        root: leaf_hash(b"root"),
        extensions: vec!["extension line".to_owned()],
    };
    let note = checkpoint.sign(&signer()).expect("sign");
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], "chipwarden.example/custody");
    assert_eq!(lines[1], "20852163");
    assert_eq!(lines[3], "extension line");
    assert_eq!(lines[4], "");
    assert!(lines[5].starts_with("— chipwarden.example/custody "));
    assert_eq!(open_checkpoint(&note, &signer().verifier()).expect("open"), checkpoint);

    // Another key: refused; a changed size: the signature no longer verifies.
    let stranger = NoteSigner::from_seed("chipwarden.example/custody", &[43; 32]).expect("key").verifier();
    assert!(matches!(open_checkpoint(&note, &stranger), Err(LedgerError::NoSignatureByKey { .. })));
    let altered = note.replacen("20852163", "20852164", 1);
    assert!(matches!(open_checkpoint(&altered, &signer().verifier()), Err(LedgerError::InvalidNoteSignature { .. })));

    let empty =
        Checkpoint { origin: "o".to_owned(), size: 0, root: chipwarden_ledger::empty_root(), extensions: vec![] };
    assert_eq!(empty.to_text(), "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
    let bad_origin = Checkpoint { origin: String::new(), ..empty };
    assert!(matches!(bad_origin.sign(&signer()), Err(LedgerError::MalformedCheckpoint { line: 1, .. })));
}

#[test]
fn the_c2sp_example_checkpoint_parses() {
    // The example in C2SP tlog-checkpoint.md (github.com/C2SP/C2SP).
    let text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let checkpoint = Checkpoint::parse(text).expect("parse");
    assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
    assert_eq!(checkpoint.size, 20852163);
    assert_eq!(checkpoint.to_text(), text);
    let note = format!(
        "{text}\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    );
    let parsed = SignedNote::parse(&note).expect("note");
    assert_eq!(parsed.text, text);
    assert_eq!(parsed.signatures[0].name, "example.com/behind-the-sofa");
}

#[test]
fn malformed_checkpoints_name_the_line() {
    let root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let cases = [
        (format!("origin\n01\n{root}\n"), 2),
        (format!("origin\n-1\n{root}\n"), 2),
        (format!("origin\n1a\n{root}\n"), 2),
        (format!("origin\n18446744073709551616\n{root}\n"), 2),
        ("origin\n1\nZG9uJ3QgY2FyZSAx\n".to_owned(), 3),
        ("origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n".to_owned(), 3),
        ("origin\n1\nnot base64!\n".to_owned(), 3),
        (format!("\n1\n{root}\n"), 1),
        (format!("origin\n1\n{root}\n\nextension\n"), 4),
        ("origin\n1\n".to_owned(), 3),
        (format!("origin\n1\n{root}"), 1),
    ];
    for (text, line) in cases {
        match Checkpoint::parse(&text) {
            Err(LedgerError::MalformedCheckpoint { line: got, .. }) => assert_eq!(got, line, "{text:?}"),
            other => panic!("{text:?}: expected an error on line {line}, got {other:?}"),
        }
    }
    let max = format!("origin\n18446744073709551615\n{root}\n");
    assert_eq!(Checkpoint::parse(&max).expect("u64::MAX").size, u64::MAX);
    assert_eq!(
        Checkpoint::parse(&format!("origin\n0\n{root}\n")).expect("zero").root,
        Hash::from_slice(&[
            0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae,
            0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
        ])
        .expect("hash")
    );
}
