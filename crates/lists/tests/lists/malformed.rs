//! Malformed and truncated inputs: each is an error naming the file, line and field, never a
//! partial result.

use chipwarden_lists::{
    OfacCsvParts, Part, bis_el_csv, csl_csv, csl_json, dpl_tsv, fr_xml, ofac_csv, ofac_xml, parse_file, un_xml,
};

use crate::{check_error, read, sdn_2021};

/// The 1-based line of the first occurrence of `needle`.
fn line_of(bytes: &[u8], needle: &str) -> u64 {
    let at = bytes.windows(needle.len()).position(|w| w == needle.as_bytes()).expect("needle present");
    bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// `bytes` cut right after the first occurrence of `needle`.
fn cut_after(bytes: &[u8], needle: &str) -> Vec<u8> {
    let at = bytes.windows(needle.len()).position(|w| w == needle.as_bytes()).expect("needle present");
    bytes[..at + needle.len()].to_vec()
}

fn replace(bytes: &[u8], from: &str, to: &[u8]) -> Vec<u8> {
    let at = bytes.windows(from.len()).position(|w| w == from.as_bytes()).expect("text present");
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

#[test]
fn xml_cut_inside_an_element_names_that_element() {
    let un = read("un_consolidated_subset.xml");
    let cut = cut_after(&un, "<REFERENCE_NUMBER>LYi");
    let line = line_of(&un, "<REFERENCE_NUMBER>LYi");
    check_error(un_xml::parse("un.xml", &cut), "un.xml", line, "REFERENCE_NUMBER", "truncated");
    // Cut inside a tag: the parser reports the unclosed tag's line, inside the open entry.
    let cut = cut_after(&un, "<REFERENCE_NUMBER>LYi.023</REFERENCE_NUMBER>\n      <LISTED");
    check_error(un_xml::parse("un.xml", &cut), "un.xml", line + 1, "INDIVIDUAL", "malformed XML");

    let sdn = read("ofac_sdn_fixture.xml");
    let cut = cut_after(&sdn, "<lastName>PARSHAN");
    check_error(
        ofac_xml::parse("sdn.xml", &cut),
        "sdn.xml",
        line_of(&sdn, "<lastName>PARSHAN"),
        "lastName",
        "truncated",
    );

    let fr = read("fr_2023-03929.xml");
    let cut = cut_after(&fr, "AOOK Technology Ltd., a.k.a.");
    check_error(
        fr_xml::parse("fr.xml", &cut),
        "fr.xml",
        line_of(&fr, "AOOK Technology Ltd., a.k.a.") - 1,
        "ENT",
        "truncated",
    );
}

#[test]
fn xml_with_the_wrong_root_or_mismatched_tags() {
    check_error(ofac_xml::parse("sdn.xml", b"<?xml version=\"1.0\"?>\n<list/>"), "sdn.xml", 2, "list", "sdnList");
    check_error(
        un_xml::parse("un.xml", b"<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n</ENTITIES>"),
        "un.xml",
        3,
        "INDIVIDUALS",
        "malformed XML",
    );
}

#[test]
fn a_csv_row_with_the_wrong_column_count() {
    let files = sdn_2021();
    let sdn = files.bytes[0].as_deref().expect("sdn.csv");
    // Drop the Remarks field of entry 424 (line 4).
    let short = replace(
        sdn,
        "\"BOUTIQUE LA MAISON\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ",
        b"\"BOUTIQUE LA MAISON\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ",
    );
    let parts = OfacCsvParts { primary: Part { file: "sdn.csv", bytes: &short }, ..files.parts() };
    check_error(ofac_csv::parse(&parts), "sdn.csv", 4, "Remarks", "11 fields where 12 are expected");
    // One field too many in the aliases file.
    let alt = files.bytes[2].as_deref().expect("alt.csv");
    let long = replace(
        alt,
        "306,220,\"aka\",\"NATIONAL BANK OF CUBA\",-0- ",
        b"306,220,\"aka\",\"NATIONAL BANK OF CUBA\",-0- ,x",
    );
    let parts = OfacCsvParts { aliases: Some(Part { file: "alt.csv", bytes: &long }), ..files.parts() };
    check_error(
        ofac_csv::parse(&parts),
        "alt.csv",
        line_of(alt, "306,220"),
        "field 6",
        "6 fields where 5 are expected",
    );
    // A real file: the 2007 DPL fixture has a 10-field row.
    check_error(
        parse_file("dpl-tsv", "dpl.txt", &read("dpl_fixture_2007.txt")),
        "dpl.txt",
        3,
        "Action",
        "10 fields where 12",
    );
}

#[test]
fn a_csv_cut_inside_a_quoted_field_is_truncated() {
    let files = sdn_2021();
    let sdn = files.bytes[0].as_deref().expect("sdn.csv");
    let cut = cut_after(
        sdn,
        "31414,\"OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU NEOBIT\",-0- ,\"NPWMD] [CYBER2] [CAATSA - RUSSIA] [RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Tax ID",
    );
    check_error(ofac_csv::parse(&OfacCsvParts::primary_only("sdn.csv", &cut)), "sdn.csv", 20, "record", "truncated");
}

#[test]
fn a_missing_header_column_is_named() {
    let csl = replace(&read("csl_2025_sample.csv"), ",name,", b",nom,");
    check_error(csl_csv::parse("csl.csv", &csl), "csl.csv", 1, "name", "no `name` column");
    let dpl = replace(&read("dpl_2022_subset.txt"), "\"Effective_Date\"", b"\"Effective\"");
    check_error(dpl_tsv::parse("dpl.txt", &dpl), "dpl.txt", 1, "Effective_Date", "no `Effective_Date` column");
    let el = replace(&read("bis_el_fixture.csv"), "License Policy,", b"Policy,");
    check_error(bis_el_csv::parse("el.csv", &el), "el.csv", 1, "License Policy", "no `License Policy` column");
}

#[test]
fn invalid_utf8_in_a_utf8_format_names_its_line() {
    for (format, file, needle) in [
        ("csl-json", "csl_2025_sample.json", "Atlas Sanatgaran"),
        ("csl-csv", "csl_2025_sample.csv", "Atlas Sanatgaran"),
        ("un-xml", "un_consolidated_subset.xml", "SADDAM"),
        ("dpl-tsv", "dpl_2022_subset.txt", "AARON ABRAHAM VILLA"),
        ("bis-el-csv", "bis_el_fixture.csv", "Murat Peker"),
        ("fr-xml", "fr_2023-03929.xml", "Dexias Endil"),
    ] {
        let bytes = read(file);
        let broken = replace(&bytes, needle, b"\xff\xfe");
        check_error(parse_file(format, file, &broken), file, line_of(&bytes, needle), "encoding", "invalid UTF-8");
    }
}

#[test]
fn ofac_csv_is_read_as_windows_1252() {
    let sdn = b"1,\"JOS\xc9 \x80 PE\xd1A, S.A.\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a";
    let list = ofac_csv::parse(&OfacCsvParts::primary_only("sdn.csv", sdn)).expect("Latin-1 is decoded");
    assert_eq!(list.entries[0].names[0].text, "JOSÉ € PEÑA, S.A.");
}

#[test]
fn a_repeated_entry_id_names_both_lines() {
    let files = sdn_2021();
    let sdn = files.bytes[0].as_deref().expect("sdn.csv");
    let twice = replace(sdn, "424,", b"306,");
    let parts = OfacCsvParts { primary: Part { file: "sdn.csv", bytes: &twice }, ..files.parts() };
    check_error(ofac_csv::parse(&parts), "sdn.csv", 4, "ent_num", "appears twice: lines 3 and 4");

    let un = read("un_consolidated_subset.xml");
    let twice = replace(&un, "<REFERENCE_NUMBER>CDi.002<", b"<REFERENCE_NUMBER>CDi.001<");
    check_error(un_xml::parse("un.xml", &twice), "un.xml", 42, "REFERENCE_NUMBER", "lines 4 and 42");

    let csl = read("csl_2025_sample.csv");
    let twice = replace(
        &csl,
        "1b5979e8fd3920a1a0985bf5088dad930a6a5562d1513f9e4b015e42",
        b"233a4d725770c81fb561ffe3842c14010c2201971d6be62eca1e613b",
    );
    // A different list (UVL vs ISN) may reuse an id; the same list may not.
    assert!(csl_csv::parse("csl.csv", &twice).is_ok());
    let twice = replace(&csl, "\"9651\",\"Palestinian", b"\"9673\",\"Palestinian");
    check_error(csl_csv::parse("csl.csv", &twice), "csl.csv", 11, "_id", "appears twice: lines 5 and 11");
}

#[test]
fn parts_from_different_publications_do_not_join() {
    let files = sdn_2021();
    let alt = b"99999,1,\"aka\",\"NOBODY\",-0- \r\n";
    let parts = OfacCsvParts { aliases: Some(Part { file: "alt.csv", bytes: alt }), ..files.parts() };
    check_error(ofac_csv::parse(&parts), "alt.csv", 1, "ent_num", "different publications");
    let alt = b"306,1,\"also\",\"NOBODY\",-0- \r\n";
    let parts = OfacCsvParts { aliases: Some(Part { file: "alt.csv", bytes: alt }), ..files.parts() };
    check_error(ofac_csv::parse(&parts), "alt.csv", 1, "alt_type", "unknown alias type `also`");
    let sdn = b"1,\"X\",\"spaceship\",\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    check_error(ofac_csv::parse(&OfacCsvParts::primary_only("sdn.csv", sdn)), "sdn.csv", 1, "SDN_Type", "spaceship");
}

#[test]
fn empty_files_are_errors() {
    check_error(
        ofac_csv::parse(&OfacCsvParts::primary_only("sdn.csv", b"\x1a")),
        "sdn.csv",
        1,
        "ent_num",
        "no entries",
    );
    check_error(csl_csv::parse("csl.csv", b""), "csl.csv", 1, "header", "empty");
    check_error(dpl_tsv::parse("dpl.txt", b"\n"), "dpl.txt", 1, "header", "empty");
    check_error(un_xml::parse("un.xml", b""), "un.xml", 1, "document", "no root element");
}

#[test]
fn malformed_json_names_the_line_and_record() {
    let json = read("csl_2025_sample.json");
    let cut = &json[..json.len() / 2];
    let err = csl_json::parse("csl.json", cut).expect_err("truncated");
    assert_eq!(err.field.as_deref(), Some("json"));
    assert!(err.line.is_some_and(|l| l > 100) && err.message.contains("malformed JSON"), "{err}");
    check_error(csl_json::parse("csl.json", b"{\n\"results\": {}\n}"), "csl.json", 2, "json", "malformed JSON");
    check_error(csl_json::parse("csl.json", b"{\"total\": 0}"), "csl.json", 1, "results", "no `results`");
    check_error(csl_json::parse("csl.json", b"[\n {\"source\": \"Entity List\"}\n]"), "csl.json", 2, "name", "no name");
    check_error(
        csl_json::parse("csl.json", b"[\n\n {\"source\": \"Entity List\", \"name\": [1]}]"),
        "csl.json",
        3,
        "name",
        "must be a string",
    );
}

#[test]
fn a_rule_without_an_entity_list_table() {
    let rule = b"<RULE>\n<EFFDATE><P>This rule is effective February 24, 2023.</P></EFFDATE>\n<FRDOC>[FR Doc. 2023-00001 Filed 2-24-23; 8:45 am]</FRDOC>\n</RULE>";
    check_error(fr_xml::parse("fr.xml", rule), "fr.xml", 1, "GPOTABLE", "no Entity List table");
    let undated = b"<RULE>\n<FRDOC>[FR Doc. 2023-00001 Filed 2-24-23; 8:45 am]</FRDOC>\n</RULE>";
    check_error(fr_xml::parse("fr.xml", undated), "fr.xml", 1, "EFFDATE", "no effective date");
}
