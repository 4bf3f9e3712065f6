//! Development aid: prints the analysis and the alignment of name pairs (`explain_pair [--org] A B [A B...]`).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let org = args.first().is_some_and(|a| a == "--org");
    if org {
        args.remove(0);
    }
    let lex = chipwarden_screen::Lexicon::bundled().unwrap();
    for pair in args.chunks(2) {
        let (a, b) = (lex.analyze(&pair[0], org).unwrap(), lex.analyze(&pair[1], org).unwrap());
        for f in [&a, &b] {
            let t: Vec<String> =
                f.tokens.iter().map(|t| format!("{}[{:?} {} {}]", t.text, t.kind, t.weight, t.key)).collect();
            println!("  {} -> {}", f.original, t.join(" "));
        }
        let c = chipwarden_screen::compare(&a, &b);
        println!("{:.4}", c.score);
        for l in &c.alignment {
            println!("    {} ~ {} {:.3} {:?}", l.query, l.candidate, l.similarity, l.how);
        }
    }
}
