//! docs/guarantees.md is the crate's contract: every row (a top-level `- **...**` bullet) must
//! name at least one test, as a link whose text is the test function's name in backticks and
//! whose target is its file under tests/ (`` [`name`](.../tests/file.rs) ``), and every test it
//! names must exist: a `fn name` in that file. A renamed or deleted test fails here, not
//! silently in the document.

use std::fs;
use std::path::Path;

/// A test a row names: (the file under tests/, the function).
#[derive(Debug)]
struct Named {
    file: String,
    function: String,
}

/// The rows of the document: each top-level bullet with its continuation lines.
fn rows(doc: &str) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut in_row = false;
    for line in doc.lines() {
        if line.starts_with("- **") {
            rows.push(line.to_string());
            in_row = true;
        } else if in_row && line.starts_with("  ") {
            let row = rows.last_mut().unwrap();
            row.push(' ');
            row.push_str(line.trim());
        } else {
            in_row = false;
        }
    }
    rows
}

/// The tests a row names: links `` [`function`](URL) `` whose URL ends in `tests/FILE.rs`.
fn named_tests(row: &str) -> Vec<Named> {
    let mut named = Vec::new();
    let mut rest = row;
    while let Some(start) = rest.find("[`") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("`](") else { break };
        let function = &rest[..end];
        rest = &rest[end + 3..];
        let Some(close) = rest.find(')') else { break };
        let url = &rest[..close];
        rest = &rest[close..];
        let is_identifier = !function.is_empty()
            && function
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if let Some(at) = url.rfind("/tests/") {
            let file = &url[at + "/tests/".len()..];
            if is_identifier && file.ends_with(".rs") && !file.contains('/') {
                named.push(Named {
                    file: file.to_string(),
                    function: function.to_string(),
                });
            }
        }
    }
    named
}

/// Whether `source` defines a function `name`: a test, a generic test body that a macro
/// instantiates per adapter, or a test a macro defines from its first argument
/// (`reader_rows!(name, ...)`).
fn defines(source: &str, name: &str) -> bool {
    ["(", "<"]
        .iter()
        .any(|after| source.contains(&format!("fn {name}{after}")))
        || source.contains(&format!("!({name},"))
}

#[test]
fn every_row_of_the_guarantees_names_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = fs::read_to_string(root.join("docs/guarantees.md")).unwrap();
    let rows = rows(&doc);
    assert!(rows.len() >= 10, "only {} rows found", rows.len());
    let mut problems = Vec::new();
    let mut checked = 0;
    for row in &rows {
        let title = row.split("**").nth(1).unwrap_or(row);
        let named = named_tests(row);
        if named.is_empty() {
            problems.push(format!("{title:?} names no test"));
        }
        for test in named {
            let path = root.join("tests").join(&test.file);
            match fs::read_to_string(&path) {
                Ok(source) if defines(&source, &test.function) => checked += 1,
                Ok(_) => problems.push(format!(
                    "{title:?} names {}, which tests/{} does not define",
                    test.function, test.file
                )),
                Err(err) => problems.push(format!(
                    "{title:?} names tests/{}, which cannot be read: {err}",
                    test.file
                )),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/guarantees.md:\n{}",
        problems.join("\n")
    );
    println!("{} rows, {checked} named tests, all defined", rows.len());
}

#[test]
fn the_row_parser_finds_tests_and_misses() {
    let doc = "intro\n\n- **One.** text [`a_test`](https://x/blob/HEAD/tests/file.rs) and\n  \
               [`other`](https://x/blob/HEAD/tests/more.rs).\n- **Two.** only [tests/x.rs](https://x/tests/x.rs)\n\nafter\n";
    let rows = rows(doc);
    assert_eq!(rows.len(), 2);
    let named = named_tests(&rows[0]);
    assert_eq!(named.len(), 2);
    assert_eq!(
        (named[1].file.as_str(), named[1].function.as_str()),
        ("more.rs", "other")
    );
    assert!(
        named_tests(&rows[1]).is_empty(),
        "a file link is not a test"
    );
    assert!(defines("async fn x() {}", "x"));
    assert!(defines("rows!(x, |io| io);", "x"));
    assert!(defines("fn idle<R: Reader>() {}", "idle"));
    assert!(!defines("fn x_y() {}", "x"));
}
