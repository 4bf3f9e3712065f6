//! End-to-end tests of `screen`, `lists` and `ownership`: the real binary, a real SQLite store in
//! a temporary data directory, real list files, and a real HTTP server on loopback for updates.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::Run;

/// A fresh data directory per test, removed at the end.
struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("chipwarden-screen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Env { dir }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut command = common::binary();
        command.arg("--data-dir").arg(self.dir.join("data")).args(args);
        common::run(command)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path.display().to_string()
    }

    /// Imports the SDN, UN and DPL test subsets.
    fn with_lists(&self) {
        let sdn = lists_data("ofac_sdn_2021");
        let parts: Vec<String> = ["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"]
            .iter()
            .map(|f| sdn.join(f).display().to_string())
            .collect();
        let mut args = vec!["lists", "import"];
        args.extend(parts.iter().map(String::as_str));
        let run = self.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for file in ["un_consolidated_subset.xml", "dpl_2022_subset.txt"] {
            let run = self.run(&["lists", "import", &lists_data(file).display().to_string()]);
            assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn lists_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lists/test_data").join(name)
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

#[test]
fn screen_finds_listed_parties_and_explains_them() {
    let env = Env::new("find");
    env.with_lists();
    let run = env.run(&["screen", "--name", "Kaikai Technology Company Limited", "--json"]);
    assert_eq!(run.code, 1, "a hit exits 1: {}", run.stderr);
    let hits = json_lines(&run.stdout);
    let top = &hits[0];
    for field in ["query", "entry_id", "list", "score", "matched_name", "alignment", "list_version", "matcher_version"]
    {
        assert!(top.get(field).is_some(), "{field} missing from {top}");
    }
    assert_eq!(top["entry_id"], "18661");
    assert_eq!(top["list"], "SDN");
    assert_eq!(top["query"], "Kaikai Technology Company Limited");
    // Russian legal form in transliteration against the English one.
    let run = env.run(&["screen", "--name", "Neobit LLC", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(json_lines(&run.stdout)[0]["entry_id"], "31414");
    // Chinese name order and script.
    let run = env.run(&["screen", "--name", "Jiadong Li", "--json"]);
    assert_eq!(json_lines(&run.stdout)[0]["entry_id"], "28264");
    // No hit exits 0.
    let run = env.run(&["screen", "--name", "Deutsche Lufthansa AG", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.is_empty());
}

#[test]
fn batches_go_on_past_bad_rows() {
    let env = Env::new("batch");
    env.with_lists();
    let mut csv =
        b"id,name,country\nc1,Banco Nacional de Cuba,CU\nc2,,US\nc3,?!?,US\nc4,Acme Widgets Ltd,US\n".to_vec();
    csv.extend_from_slice(b"c5,Bad \xff\xfe bytes,US\nc6,");
    csv.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    csv.extend_from_slice(b",US\n");
    let file = env.file("parties.csv", &csv);
    let out = env.dir.join("hits.jsonl");
    let run = env.run(&["screen", "--file", &file, "--out", &out.display().to_string(), "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for (line, needle) in
        [(3, "field `name` is empty"), (4, "no letters"), (6, "not valid UTF-8"), (7, "1,000 characters")]
    {
        assert!(
            run.stderr.contains(&format!("line {line}")) && run.stderr.contains(needle),
            "line {line} / {needle}: {}",
            run.stderr
        );
    }
    let hits = json_lines(&std::fs::read_to_string(&out).expect("out file"));
    assert!(hits.iter().any(|h| h["query"] == "c1" && h["entry_id"] == "306"), "{hits:?}");
    assert!(hits.iter().all(|h| h["query"] != "c4"));
}

#[test]
fn review_decisions_suppress_and_persist() {
    let env = Env::new("review");
    env.with_lists();
    let run = env.run(&["screen", "--name", "Boutique la Maison", "--json"]);
    assert_eq!(run.code, 1);
    let hit = &json_lines(&run.stdout)[0];
    // Written the way a reviewer types it, in lower case; the list's own spelling is recorded.
    let (list, entry) = (hit["list"].as_str().unwrap_or("").to_lowercase(), hit["entry_id"].as_str().unwrap_or(""));
    let matched = hit["matched_name"].as_str().unwrap_or("").to_lowercase();
    let (list, matched) = (list.as_str(), matched.as_str());
    let run = env.run(&[
        "screen",
        "review",
        "--party",
        "Boutique la Maison",
        "--list",
        list,
        "--entry",
        entry,
        "--matched-name",
        matched,
        "--decision",
        "false-positive",
        "--reviewer",
        "a.analyst",
        "--reason",
        "our customer is a shop in Lyon, not the Cuban entity",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = env.run(&["screen", "--name", "Boutique la Maison", "--json"]);
    assert_eq!(run.code, 0, "suppressed: {}", run.stdout);
    let run = env.run(&["screen", "decisions", "--json"]);
    let decisions = json_lines(&run.stdout);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0]["decision"]["reviewer"], "a.analyst");
    let bad = env.run(&[
        "screen",
        "review",
        "--party",
        "x",
        "--list",
        "SDN",
        "--entry",
        "1",
        "--matched-name",
        "x",
        "--decision",
        "maybe",
        "--reviewer",
        "r",
        "--reason",
        "r",
    ]);
    assert_eq!(bad.code, 3, "{}", bad.stderr);
}

#[test]
fn list_versions_diffs_and_a_bad_file_that_changes_nothing() {
    let env = Env::new("versions");
    let dpl = std::fs::read_to_string(lists_data("dpl_2022_subset.txt")).expect("dpl");
    let first = env.file("dpl_a.txt", dpl.as_bytes());
    assert_eq!(env.run(&["lists", "import", &first]).code, 0);
    let again = env.run(&["lists", "import", &first]);
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    // A newer version without its last row.
    let mut lines: Vec<&str> = dpl.lines().collect();
    let removed = lines.pop().expect("row");
    let second = env.file("dpl_b.txt", format!("{}\n", lines.join("\n")).as_bytes());
    let run = env.run(&["lists", "import", &second, "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let outcome: Value = serde_json::from_str(&run.stdout).expect("json");
    let removed_name = removed.split('\t').next().unwrap_or("").trim_matches('"');
    assert!(
        outcome["diff"]["removed"].as_array().is_some_and(|r| r.iter().any(|c| c["name"] == removed_name)),
        "{outcome}"
    );
    // A truncated UN file: a clear error with file and line; the DPL versions are untouched.
    let un = std::fs::read_to_string(lists_data("un_consolidated_subset.xml")).expect("un");
    let truncated = env.file("un_truncated.xml", &un.as_bytes()[..un.len() / 2]);
    let run = env.run(&["lists", "import", &truncated]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("un_truncated.xml") && run.stderr.contains("line"), "{}", run.stderr);
    let versions = env.run(&["lists", "versions", "--json"]);
    let versions: Value = serde_json::from_str(&versions.stdout).expect("json");
    assert_eq!(versions.as_array().map(Vec::len), Some(1), "{versions}");
}

#[test]
fn rescreen_reports_only_new_hits_after_a_list_update() {
    let env = Env::new("rescreen");
    let dpl = std::fs::read_to_string(lists_data("dpl_2022_subset.txt")).expect("dpl");
    // The older version lacks every row of the file's last party (DPL repeats a party per address).
    let name_of = |line: &str| line.split('\t').next().unwrap_or("").trim_matches('"').to_owned();
    let last_name = name_of(dpl.lines().last().expect("row"));
    let lines: Vec<&str> = dpl.lines().filter(|l| name_of(l) != last_name).collect();
    let older = env.file("dpl_old.txt", format!("{}\n", lines.join("\n")).as_bytes());
    assert_eq!(env.run(&["lists", "import", &older]).code, 0);
    let parties = env.file("parties.csv", format!("id,name\np1,{last_name}\np2,Someone Unrelated\n").as_bytes());
    let run = env.run(&["screen", "--file", &parties, "--json"]);
    assert_eq!(run.code, 0, "not listed yet: {}", run.stdout);
    let newer = env.file("dpl_new.txt", dpl.as_bytes());
    assert_eq!(env.run(&["lists", "import", &newer]).code, 0);
    let run = env.run(&["screen", "rescreen", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let hits = json_lines(&run.stdout);
    assert!(hits.iter().any(|h| h["query"] == "p1"), "{hits:?}");
    let run = env.run(&["screen", "rescreen", "--json"]);
    assert_eq!(run.code, 0, "nothing new the second time: {}", run.stdout);
}

#[test]
fn pairs_are_scored_for_anyone_to_measure() {
    let env = Env::new("pairs");
    let file = env.file("pairs.csv", "name1,name2,schema\nVladimir Putin,Путин Владимир,Person\nemma daniels,EMMA LLC,Company\nACME 7,ACME 8,Vessel\n".as_bytes());
    let run = env.run(&["screen", "pairs", "--file", &file, "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = json_lines(&run.stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["match"], true);
    assert_eq!(lines[1]["match"], false);
    assert_eq!(lines[2]["match"], false);
    assert!(lines.iter().all(|l| l["score"].as_f64().is_some()));
}

/// A tiny HTTP server on loopback serving `files` by path; 404 for anything else.
fn serve(files: Vec<(String, Vec<u8>)>, requests: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let found = files.iter().find(|(p, _)| *p == path);
            let (status, body): (&str, &[u8]) = match found {
                Some((_, b)) => ("200 OK", b),
                None => ("404 Not Found", b"not found"),
            };
            let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    (format!("http://{addr}"), handle)
}

#[test]
fn lists_update_downloads_checks_and_keeps_the_old_version_on_failure() {
    let env = Env::new("update");
    let un = std::fs::read(lists_data("un_consolidated_subset.xml")).expect("un");
    let dpl = std::fs::read(lists_data("dpl_2022_subset.txt")).expect("dpl");
    let (base, server) = serve(vec![("/un.xml".to_owned(), un), ("/dpl.txt".to_owned(), dpl)], 2);
    let config = env.file(
        "sources.toml",
        format!(
            "[[source]]\nname = \"un\"\nformat = \"un-xml\"\nurls = [\"{base}/un.xml\"]\nmin_entries = 5\n\n\
             [[source]]\nname = \"bis-dpl\"\nformat = \"dpl-tsv\"\nurls = [\"{base}/dpl.txt\"]\nmin_entries = 5\n"
        )
        .as_bytes(),
    );
    let run = env.run(&["lists", "update", "--config", &config]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    server.join().expect("server");
    // Second round: the UN file is gone (404) and the DPL one is truncated to a header.
    let (base, server) = serve(vec![("/dpl.txt".to_owned(), b"\"Name\"\t\"Street_Address\"\n".to_vec())], 2);
    let config = env.file(
        "sources2.toml",
        format!(
            "[[source]]\nname = \"un\"\nformat = \"un-xml\"\nurls = [\"{base}/un.xml\"]\nmin_entries = 5\n\n\
             [[source]]\nname = \"bis-dpl\"\nformat = \"dpl-tsv\"\nurls = [\"{base}/dpl.txt\"]\nmin_entries = 5\n"
        )
        .as_bytes(),
    );
    let run = env.run(&["lists", "update", "--config", &config]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("`un`") && run.stderr.contains("previous version stays in force"), "{}", run.stderr);
    server.join().expect("server");
    let versions: Value = serde_json::from_str(&env.run(&["lists", "versions", "--json"]).stdout).expect("json");
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    let run = env.run(&["screen", "--name", "Bosco Ntaganda", "--json"]);
    assert_eq!(run.code, 1, "the UN list still screens: {}", run.stderr);
}

#[test]
fn ownership_through_listed_owners() {
    let env = Env::new("ownership");
    env.with_lists();
    let edges = env.file(
        "edges.csv",
        b"owner,owned,share,source,date\n\
          BANCO NACIONAL DE CUBA,Caribe Holdings SA,30%,registry extract 2026-01,2026-01-15\n\
          AEROCARIBBEAN AIRLINES,Caribe Holdings SA,0.25,registry extract 2026-01,2026-01-15\n\
          Caribe Holdings SA,Island Freight Ltd,0.6,annual report 2025,2025-12-31\n",
    );
    let run = env.run(&["ownership", "import", "--file", &edges]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = env.run(&["ownership", "check", "--entity", "Island Freight Ltd", "--at", "2026-06-01", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    let ofac = &v["report"]["findings"][0];
    assert_eq!(ofac["rule"], "ofac-50-percent");
    assert_eq!(ofac["caught"], true, "{v}");
    assert_eq!(ofac["chain"][0]["owner"], "Caribe Holdings SA");
    // A reviewer dismisses the airline's name match: Caribe is then 30% blocked-owned, under the
    // 50% line, and Island Freight is no longer caught.
    let airline = v["listing_evidence"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["party"] == "AEROCARIBBEAN AIRLINES"))
        .expect("the airline's listing evidence")
        .clone();
    let text = |key: &str| airline[key].as_str().unwrap_or("").to_owned();
    let review = env.run(&[
        "screen",
        "review",
        "--party",
        "AEROCARIBBEAN AIRLINES",
        "--list",
        &text("list"),
        "--entry",
        &text("entry_id"),
        "--matched-name",
        &text("matched_name"),
        "--decision",
        "false-positive",
        "--reviewer",
        "a.analyst",
        "--reason",
        "test: a different airline of the same name",
    ]);
    assert_eq!(review.code, 0, "{}", review.stderr);
    let run = env.run(&["ownership", "check", "--entity", "Island Freight Ltd", "--at", "2026-06-01", "--json"]);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["report"]["findings"][0]["caught"], false, "{v}");
    assert_eq!(v["dismissed_by_review"], 1, "{v}");
    let bad = env.file("bad.csv", b"owner,owned,share,source,date\nA,B,lots,x,2026-01-01\n");
    let run = env.run(&["ownership", "import", "--file", &bad]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("line 2") && run.stderr.contains("share"), "{}", run.stderr);
}

#[test]
fn review_findings_of_2026_11_29() {
    let env = Env::new("findings");
    // The CSL repeats OFAC entries: importing both must not break file screening.
    let nonsdn = lists_data("ofac_nonsdn");
    let mut parts: Vec<String> =
        std::fs::read_dir(&nonsdn).expect("dir").flatten().map(|e| e.path().display().to_string()).collect();
    parts.sort_by_key(|p| !p.contains("prim"));
    let mut args = vec!["lists", "import"];
    args.extend(parts.iter().map(String::as_str));
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("ofac-nonsdn:"), "named by its list code: {}", run.stdout);
    assert_eq!(env.run(&["lists", "import", &lists_data("csl_2025_sample.csv").display().to_string()]).code, 0);
    let csl = std::fs::read_to_string(lists_data("csl_2025_sample.csv")).expect("csl");
    let mut reader = csv::Reader::from_reader(csl.as_bytes());
    let name_col = reader.headers().expect("headers").iter().position(|h| h == "name").expect("name column");
    let names: Vec<String> = reader.records().flatten().map(|r| r[name_col].to_owned()).collect();
    let parties = env.file(
        "p.csv",
        format!("id,name\n{}", names.iter().enumerate().map(|(i, n)| format!("p{i},\"{n}\"\n")).collect::<String>())
            .as_bytes(),
    );
    let run = env.run(&["screen", "--file", &parties, "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for line in run.stdout.lines() {
        // No duplicate keys: a JSON map drops duplicates, so re-serialising would come out shorter.
        let value: Value = serde_json::from_str(line).expect("json");
        assert_eq!(serde_json::to_string(&value).expect("json").len(), line.len(), "duplicate keys in {line}");
    }
    // A file with other lists, or far fewer entries, does not silently replace a source.
    let dpl = lists_data("dpl_2022_subset.txt").display().to_string();
    let run = env.run(&["lists", "import", "--source", "ofac-nonsdn", &dpl]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("--allow-shrink"), "{}", run.stderr);
    // Every row rejected and no hit: an input error, not "no hit".
    let bad = env.file("bad.csv", b"id,name\nx1,\nx2,!!!\n");
    assert_eq!(env.run(&["screen", "--file", &bad]).code, 3);
    let dup = env.file("dup.csv", b"id,name\nd1,Acme One\nd1,Acme Two\n");
    let run = env.run(&["screen", "--file", &dup]);
    assert!(run.stderr.contains("line 3") && run.stderr.contains("already the id of line 2"), "{}", run.stderr);
    // Countries are ISO codes.
    assert_eq!(env.run(&["screen", "--name", "Kim Jong Un", "--country", "North Korea"]).code, 3);
    // A decision on a hit that does not exist is refused, not silently kept.
    let run = env.run(&[
        "screen",
        "review",
        "--party",
        "K1",
        "--list",
        "sdn",
        "--entry",
        "99999",
        "--matched-name",
        "nobody",
        "--decision",
        "false-positive",
        "--reviewer",
        "r",
        "--reason",
        "r",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("no such entry"), "{}", run.stderr);
}

#[test]
fn ownership_needs_lists() {
    let env = Env::new("ownership-nolists");
    let edges = env.file("e.csv", b"owner,owned,share,source,date\nA,B,0.6,x,2026-01-01\n");
    assert_eq!(env.run(&["ownership", "import", "--file", &edges]).code, 0);
    let run = env.run(&["ownership", "check", "--entity", "B"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("no list is imported"), "{}", run.stderr);
}
