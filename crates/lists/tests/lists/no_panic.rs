//! Property tests: no input, arbitrary or a damaged real file, makes a parser panic.

use chipwarden_lists::{
    OfacCsvParts, Part, bis_el_csv, csl_csv, csl_json, detect_format, dpl_tsv, fr_xml, ofac_csv, ofac_xml, un_xml,
};
use proptest::prelude::*;

use crate::read;

type Parser = fn(&str, &[u8]) -> Result<chipwarden_lists::ParsedList, chipwarden_lists::ParseError>;

fn ofac_primary(file: &str, bytes: &[u8]) -> Result<chipwarden_lists::ParsedList, chipwarden_lists::ParseError> {
    ofac_csv::parse(&OfacCsvParts::primary_only(file, bytes))
}

/// Each parser with a real file of its format to damage.
const PARSERS: [(&str, Parser, &str); 8] = [
    ("ofac-csv", ofac_primary, "ofac_sdn_2021/sdn.csv"),
    ("ofac-xml", ofac_xml::parse, "ofac_sdn_fixture.xml"),
    ("csl-csv", csl_csv::parse, "csl_2025_sample.csv"),
    ("csl-json", csl_json::parse, "csl_2025_sample.json"),
    ("bis-el-csv", bis_el_csv::parse, "bis_el_fixture.csv"),
    ("dpl-tsv", dpl_tsv::parse, "dpl_2022_subset.txt"),
    ("un-xml", un_xml::parse, "un_consolidated_subset.xml"),
    ("fr-xml", fr_xml::parse, "fr_2023-03929.xml"),
];

/// A real file with a byte range replaced by arbitrary bytes and the end possibly cut off.
fn damaged(original: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = original.len();
    (0..=len, 0..=len, proptest::collection::vec(any::<u8>(), 0..16), 0..=len).prop_map(move |(a, b, noise, cut)| {
        let (start, end) = (a.min(b), a.max(b).min(a.min(b) + 64));
        let mut bytes = [&original[..start], &noise[..], &original[end..]].concat();
        bytes.truncate(cut.max(start));
        bytes
    })
}

fn every_parser(bytes: &[u8]) {
    for (_, parse, _) in PARSERS {
        let _ = parse("input", bytes);
    }
    let _ = detect_format("input", bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        every_parser(&bytes);
    }

    #[test]
    fn text_like_input_never_panics(text in "[<>/a-zA-Z0-9 =\"',;\t\n\\[\\]{}:-]{0,400}") {
        every_parser(text.as_bytes());
    }

    #[test]
    fn ofac_parts_never_panic(
        add in proptest::collection::vec(any::<u8>(), 0..200),
        alt in "([0-9]{1,3},[0-9],\"(aka|fka|x)\",\"[A-Z ']{0,8}\",-0- \r\n){0,4}",
        comments in "(306,\"[a-z' .;]{0,20}\"\n){0,3}",
    ) {
        let sdn = read("ofac_sdn_2021/sdn.csv");
        let parts = OfacCsvParts {
            primary: Part { file: "sdn.csv", bytes: &sdn },
            addresses: Some(Part { file: "add.csv", bytes: &add }),
            aliases: Some(Part { file: "alt.csv", bytes: alt.as_bytes() }),
            comments: Some(Part { file: "sdn_comments.csv", bytes: comments.as_bytes() }),
        };
        let _ = ofac_csv::parse(&parts);
    }
}

macro_rules! damaged_file_never_panics {
    ($($name:ident: $index:expr;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            $(
                #[test]
                fn $name(bytes in damaged(read(PARSERS[$index].2))) {
                    let (format, parse, _) = PARSERS[$index];
                    if let Err(e) = parse("damaged", &bytes) {
                        prop_assert!(e.line.is_some() && e.field.is_some(), "{format}: {e}");
                    }
                }
            )*
        }
    };
}

damaged_file_never_panics! {
    damaged_ofac_csv: 0;
    damaged_ofac_xml: 1;
    damaged_csl_csv: 2;
    damaged_csl_json: 3;
    damaged_bis_el_csv: 4;
    damaged_dpl_tsv: 5;
    damaged_un_xml: 6;
    damaged_fr_xml: 7;
}
