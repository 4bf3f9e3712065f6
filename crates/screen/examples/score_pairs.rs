//! Development aid: scores every pair of a labelled CSV (name1, name2, schema) and prints TSV.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

fn main() {
    let path = std::env::args().nth(1).expect("usage: score_pairs PAIRS.csv");
    let lex = chipwarden_screen::Lexicon::bundled().unwrap();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (n1, n2, schema, label) = (col("name1").unwrap(), col("name2").unwrap(), col("schema"), col("is_match"));
    for record in reader.records() {
        let r = record.unwrap();
        let org = schema.map(|s| &r[s]).is_some_and(|s| s != "Person");
        let (a, b) = (lex.analyze(&r[n1], org), lex.analyze(&r[n2], org));
        let score = match (a, b) {
            (Ok(a), Ok(b)) => chipwarden_screen::compare(&a, &b).score,
            _ => 0.0,
        };
        println!(
            "{score:.4}\t{}\t{}\t{}\t{}",
            label.map(|l| &r[l]).unwrap_or(""),
            schema.map(|s| &r[s]).unwrap_or(""),
            &r[n1],
            &r[n2]
        );
    }
}
