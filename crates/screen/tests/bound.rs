//! The cheap score bound that lets a query skip most candidates must never be below the score
//! itself: checked on every labelled pair, the 81 spellings of one name, and a cross product of
//! real names in many scripts.

use chipwarden_screen::{Lexicon, could_reach, score, score_bound};

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"))).expect("test data")
}

/// Every name of the test data: the labelled pairs' names and the spellings of one name.
fn names() -> Vec<String> {
    let text = data("nomenklatura_name_bench_cases.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let r = record.expect("record");
        out.push(r[2].to_owned());
        out.push(r[3].to_owned());
    }
    out.extend(data("putin_names.txt").lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
    // Names with a second (Japanese) reading and traditional characters.
    for line in data("watchman_cross_script_pairs.csv").lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        out.extend(line.split(',').take(2).map(str::to_owned));
    }
    out.extend(
        ["習近平", "高市さなえ", "小泉 純一郎", "岸田文雄", "Kishida Fumio", "華為技術有限公司"].map(str::to_owned),
    );
    out
}

#[test]
fn the_bound_is_never_below_the_score() {
    let lex = Lexicon::bundled().expect("lexicon");
    let names = names();
    let mut checked = 0;
    let mut pruned = 0;
    for organization in [false, true] {
        let forms: Vec<_> = names.iter().filter_map(|n| lex.analyze(n, organization).ok()).collect();
        // Each labelled pair in both directions, and the first names against all others.
        let pairs = (0..forms.len() / 2)
            .flat_map(|k| [(2 * k, 2 * k + 1), (2 * k + 1, 2 * k)])
            .chain((0..40).flat_map(|i| (0..forms.len()).map(move |j| (i, j))));
        for (i, j) in pairs {
            let (a, b) = (&forms[i], &forms[j]);
            let (s, bound) = (score(a, b), score_bound(a, b));
            assert!(s <= bound + 1e-12, "score {s} above bound {bound}: `{}` / `{}`", a.original, b.original);
            // The lazy form answers the same question as the full bound.
            assert_eq!(could_reach(a, b, 0.54), bound >= 0.54, "`{}` / `{}`", a.original, b.original);
            checked += 1;
            if bound < 0.54 {
                pruned += 1;
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
    // The bound is worth having only if it rules out most unrelated names.
    assert!(pruned * 2 > checked, "only {pruned} of {checked} pairs ruled out");
}
