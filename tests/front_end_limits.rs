//! Inputs that once crashed or exhausted the front end, run through the
//! `gssm` binary: what users see is the exit code and stderr of a process
//! whose main thread has the default stack. Each must end in an error
//! (exit code 1) that names the right place, with bounded output, or in a
//! correct result; never a panic (101), an abort (134) or a signal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gssm-front-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write source");
    path
}

fn gssm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gssm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run gssm")
}

fn check(path: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check", path.to_str().expect("UTF-8 path")];
    args.extend_from_slice(extra);
    gssm(&args)
}

/// Most bytes of stderr an error may print: a few lines of excerpt for the
/// error and each of its notes, whatever the size of the source.
const MAX_STDERR: usize = 8192;

/// The run failed cleanly: exit code 1 and a short error on stderr, which
/// is returned.
fn clean_error(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit code 1, got {:?}; stderr starts:\n{}",
        out.status,
        err.chars().take(2000).collect::<String>()
    );
    assert!(
        err.len() <= MAX_STDERR,
        "stderr has {} bytes:\n{}",
        err.len(),
        err.chars().take(2000).collect::<String>()
    );
    assert!(err.contains('×'), "no error rendered:\n{err}");
    err
}

/// The excerpt line of a rendering that contains `needle`, and the line of
/// underlines after it.
fn underlined<'a>(err: &'a str, needle: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = err.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{err}"));
    (lines[i], lines[i + 1])
}

/// Character column of the first of `marks` in `line`.
fn column_of(line: &str, marks: &[char]) -> usize {
    line.chars()
        .position(|c| marks.contains(&c))
        .unwrap_or_else(|| panic!("no underline in {line:?}"))
}

#[test]
fn unknown_generator_past_column_65535() {
    let dir = scratch("long-line");
    // One line of 70 KB: the unknown generator `c` starts at column 70 016.
    let mut text = String::from("group G = < a | ");
    text.push_str(&"a*".repeat(35_000));
    let column = text.chars().count() + 1;
    text.push_str("c >\n");
    let path = write(&dir, "long.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("unknown generator `c`"), "{err}");
    assert!(
        err.contains(&format!("long.gssm:1:{column}]")),
        "expected line 1, column {column}:\n{err}"
    );
    // The excerpt is cut before the span, and the underline is under `c`.
    let (excerpt, marks) = underlined(&err, "a*c >");
    assert!(excerpt.contains('…'), "{excerpt}");
    let c = excerpt.chars().count() - " >".len() - 1;
    assert_eq!(
        column_of(marks, &['┬', '─', '^']),
        c,
        "\n{excerpt}\n{marks}"
    );
}

#[test]
fn eight_megabyte_word() {
    let dir = scratch("huge-word");
    // About 8 MB of `a^-1*`: one relator of 1.6 million letters, past the
    // word limit; the error underlines the whole presentation.
    let mut text = String::from("group G = < a | ");
    text.push_str(&"a^-1*".repeat(1_600_000));
    text.push_str("a^-1 >\n");
    let path = write(&dir, "word.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("word.gssm:1:11]"), "{err}");
    assert!(err.contains("letters"), "{err}");
}

#[test]
fn error_early_on_a_huge_line() {
    let dir = scratch("early-on-huge-line");
    // The error is near the start of an 8 MB line: only a window of it
    // may be echoed.
    let mut text = String::from("group G = < a | c * ");
    text.push_str(&"a*".repeat(4_000_000));
    text.push_str("a >\n");
    let path = write(&dir, "early.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("early.gssm:1:17]"), "{err}");
    let (excerpt, marks) = underlined(&err, "group G = < a | c");
    assert!(excerpt.ends_with('…'), "{excerpt}");
    let c = excerpt.find("c *").map(|b| excerpt[..b].chars().count());
    assert_eq!(
        Some(column_of(marks, &['┬', '─', '^'])),
        c,
        "\n{excerpt}\n{marks}"
    );
}

#[test]
fn ten_thousand_for_clauses() {
    let dir = scratch("for-clauses");
    let text = format!(
        "group G = perm {{ (1,2){} }}\n",
        " for i in 1..1".repeat(10_000)
    );
    let path = write(&dir, "loops.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("`for` clauses"), "{err}");
    // Clause number 65 starts after `(1,2)` and 64 clauses of 14 bytes.
    let column = "group G = perm { (1,2)".len() + 64 * " for i in 1..1".len() + 2;
    assert!(err.contains(&format!("loops.gssm:1:{column}]")), "{err}");
}

/// Sources that repeat one construct 10^4–10^5 times: each must build its
/// group or fail with a short error, never overflow the stack.
#[test]
fn long_chains_end_in_a_result_or_an_error() {
    let dir = scratch("chains");
    let n = 20_000;
    let cases: Vec<(&str, String)> = vec![
        (
            "products",
            format!("group T = < | >\ngroup G = T{}\n", " x T".repeat(n)),
        ),
        (
            "products of generators",
            format!("group C = < a | a^2 >\ngroup G = C{}\n", " x C".repeat(n)),
        ),
        (
            "negations",
            format!("group G = < a | a^({}2) >\n", "-".repeat(n)),
        ),
        (
            "nots",
            format!("group G = < a | a^({}2) >\n", "!".repeat(n)),
        ),
        (
            "integer powers",
            format!("group G = < a | a^(1{}) >\n", "^1".repeat(n)),
        ),
        (
            "word powers",
            format!("group G = < a, b | a^2, b^2, (a*b)^3{} >\n", "^1".repeat(n)),
        ),
        (
            "commutator entries",
            format!("group G = < a, b | a^2, b^2, [a{}] >\n", ", b".repeat(n)),
        ),
        (
            "relations",
            format!("group G = < a | a^2{} >\n", " = a^2".repeat(n)),
        ),
        (
            "huge power of a group",
            "group C = < a | a^2 >\ngroup G = C^1000000000000\n".to_string(),
        ),
        (
            "nested brackets",
            format!("group G = < a | {}a{} >\n", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "nested commutators",
            format!(
                "group G = < a, b | {}a, b{} >\n",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "brackets in a message",
            format!(
                "group F(n) require n > 0, \"{{{}1{}}}\" = < a | a^n >\ngroup G = F(2)\n",
                "(".repeat(n),
                ")".repeat(n)
            ),
        ),
        (
            "definitions",
            (0..n)
                .map(|i| format!("group G{i} = G{}\n", i + 1))
                .chain([format!("group G{n} = < a | a^2 >\ngroup G = G0\n")])
                .collect(),
        ),
        (
            "permutation items",
            format!("group G = perm {{ (1,2){} }}\n", ", (1,2)".repeat(n)),
        ),
        (
            "cycles",
            format!("group G = perm {{ {} }}\n", "(1,2)".repeat(n)),
        ),
    ];
    for (what, text) in cases {
        let path = write(&dir, "chain.gssm", &text);
        let out = check(&path, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => {}
            Some(1) => assert!(
                err.len() <= MAX_STDERR && err.contains('×'),
                "{what}: error of {} bytes:\n{}",
                err.len(),
                err.chars().take(2000).collect::<String>()
            ),
            _ => panic!(
                "{what}: {:?}\n{}",
                out.status,
                err.chars().take(2000).collect::<String>()
            ),
        }
    }
}

/// Definitions of semidirect products, each nested 60 brackets deep, used
/// inside one another: `levels` group expressions in all.
fn nested_products(levels: usize) -> String {
    let mut text = String::from("group T = < | >\ngroup D0 = < a | a^2 >\n");
    let (mut used, mut i) = (1, 1);
    while used + 3 <= levels {
        let k = 60.min((levels - used - 1) / 2);
        text.push_str(&format!(
            "group D{i} = {}D{}{}\n",
            "(".repeat(k),
            i - 1,
            " : T by {})".repeat(k)
        ));
        used += 2 * k + 1;
        i += 1;
    }
    text
}

#[test]
fn nesting_across_definitions_is_bounded() {
    // Brackets (64) and definitions (64) are bounded each, and so is their
    // product: at the limit the group builds on the main thread's stack,
    // past it the error names the limit.
    let dir = scratch("nesting");
    let path = write(&dir, "at.gssm", &nested_products(1023));
    let out = check(&path, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": order 2"));
    let path = write(&dir, "past.gssm", &nested_products(1100));
    let err = clean_error(&check(&path, &[]));
    assert!(
        err.contains("group expressions nest more than 1024 deep"),
        "{err}"
    );
    // 63 definitions, each 63 brackets deep.
    let mut text = String::from("group T = < | >\ngroup D0 = < a | a^2 >\n");
    for i in 1..64 {
        text.push_str(&format!(
            "group D{i} = {}D{} x T{}\n",
            "(".repeat(63),
            i - 1,
            ") x T".repeat(63)
        ));
    }
    let path = write(&dir, "deep.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(
        err.contains("group expressions nest more than 1024 deep"),
        "{err}"
    );
}

#[test]
fn import_chains_are_bounded() {
    let dir = scratch("imports");
    let n = 1000;
    for i in 0..n {
        write(
            &dir,
            &format!("m{i}.gssm"),
            &format!("import \"m{}.gssm\"\ngroup G{i} = < a | a^2 >\n", i + 1),
        );
    }
    write(&dir, &format!("m{n}.gssm"), "group Last = < a | a^3 >\n");
    let err = clean_error(&check(&dir.join("m0.gssm"), &[]));
    assert!(err.contains("imports nest more than 64 deep"), "{err}");
}

#[test]
fn seventy_thousand_generators() {
    let dir = scratch("generators");
    // C2 given by 70 000 generators, all but the last trivial.
    let k = 70_000;
    let gens: Vec<String> = (1..=k).map(|i| format!("g{i}")).collect();
    let mut rels: Vec<String> = gens[..k - 1].to_vec();
    rels.push(format!("g{k}^2"));
    let text = format!("group G = < {} | {} >\n", gens.join(", "), rels.join(", "));
    let path = write(&dir, "gens.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("70000 generators"), "{err}");
    // Generator number 4097 is where the limit is passed.
    let column = text.find("g4097,").expect("generator 4097") + 1;
    assert!(err.contains(&format!("gens.gssm:1:{column}]")), "{err}");

    let path = write(
        &dir,
        "perm.gssm",
        "group G = perm { (1,2) for i in 1..70000 }\n",
    );
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("more than 4096 generators"), "{err}");

    let text = format!("group C = < a | a^2 >\ngroup G = C{}\n", " x C".repeat(k));
    let path = write(&dir, "product.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("70001 generators"), "{err}");
}

#[test]
fn devices_are_read_only_up_to_the_limit() {
    let err = clean_error(&gssm(&["check", "/dev/zero"]));
    assert!(err.contains("8388608-byte"), "{err}");

    let dir = scratch("devices");
    let path = write(
        &dir,
        "main.gssm",
        "import \"/dev/zero\"\ngroup G = < a | a^2 >\n",
    );
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("8388608-byte"), "{err}");
    assert!(err.contains("main.gssm:1:8]"), "{err}");
}

#[test]
fn large_files_and_pipes_are_read_only_up_to_the_limit() {
    let dir = scratch("large");
    // A regular file one byte over the limit: a comment line.
    let mut text = "//".to_string();
    text.push_str(&"x".repeat((8 << 20) - 2));
    text.push('\n');
    let path = write(&dir, "big.gssm", &text);
    let err = clean_error(&check(&path, &[]));
    assert!(err.contains("8388608-byte"), "{err}");

    // A FIFO whose writer would go on for 64 MiB.
    let fifo = dir.join("pipe.gssm");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is not available: pipe case skipped");
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("open FIFO for writing");
            let chunk = vec![b' '; 1 << 20];
            // Fails with a broken pipe once gssm stops reading.
            (0..64).try_for_each(|_| f.write_all(&chunk)).is_err()
        })
    };
    let err = clean_error(&check(&fifo, &[]));
    assert!(err.contains("8388608-byte"), "{err}");
    assert!(
        writer.join().expect("writer thread"),
        "gssm read all 64 MiB"
    );
}

#[test]
fn tables_are_checked_against_the_memory_budget() {
    let err = clean_error(&gssm(&[
        "check",
        "stdlib/families.gssm",
        "Cyclic(100000)",
        "--max-elements",
        "100000",
    ]));
    assert!(err.contains("--max-memory"), "{err}");
    // The estimate, in bytes: the Cayley table alone takes 4·10^10.
    let largest = err
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<u128>().ok())
        .max();
    assert!(largest >= Some(40_000_000_000), "{err}");

    // The flag takes units; a budget too small for S4's tables fails.
    let err = clean_error(&gssm(&[
        "check",
        "stdlib/seed.gssm",
        "S4",
        "--max-memory",
        "1KiB",
    ]));
    assert!(err.contains("1024 bytes"), "{err}");
    let out = gssm(&["check", "stdlib/seed.gssm", "S4", "--max-memory", "64MiB"]);
    assert_eq!(out.status.code(), Some(0));
    let out = gssm(&["check", "stdlib/seed.gssm", "S4", "--max-memory", "lots"]);
    assert_eq!(out.status.code(), Some(2), "clap rejects the value");
}
