//! `gssm run` end to end: streamed outputs against running products computed
//! here by hand (S3 as permutations), every read bounded whatever the file
//! kind (devices, endless pipes), and the memory one long sequence takes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const GSSM: &str = env!("CARGO_BIN_EXE_gssm");

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("run_cli");
    std::fs::create_dir_all(&dir).unwrap();
    // Separate runs of this binary may overlap: keep their files apart.
    dir.join(format!("{}.{name}", std::process::id()))
}

/// S3 from stdlib/seed.gssm, compiled once per test process.
fn s3_model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let out = tmp("s3.safetensors");
        let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/seed.gssm");
        let o = Command::new(GSSM)
            .args(["compile", seed.to_str().unwrap(), "-g", "S3", "-o"])
            .arg(&out)
            .output()
            .expect("run gssm compile");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    })
}

/// A permutation of {0, 1, 2} as the images of 0, 1, 2.
type Perm = [usize; 3];

/// `p*q`: p first, then q (GAP's convention, the model's).
fn mul(p: Perm, q: Perm) -> Perm {
    [q[p[0]], q[p[1]], q[p[2]]]
}

/// The element a label of S3 = perm(3) { c = (1,2,3), t = (1,2) } names,
/// evaluated from its word, independently of the weight file.
fn eval_label(label: &str) -> Perm {
    let c = [1, 2, 0];
    let c_inv = [2, 0, 1];
    let t = [1, 0, 2];
    label
        .split('*')
        .map(|f| match f {
            "e" => [0, 1, 2],
            "c" => c,
            "c^-1" => c_inv,
            "t" => t,
            other => panic!("unexpected factor {other} in label {label}"),
        })
        .fold([0, 1, 2], mul)
}

/// The S3 model's token labels and output labels, read from its manifest.
struct Labels {
    tokens: Vec<String>,
    outputs: Vec<String>,
}

fn s3_labels() -> &'static Labels {
    static LABELS: OnceLock<Labels> = OnceLock::new();
    LABELS.get_or_init(|| {
        let bytes = std::fs::read(s3_model()).unwrap();
        let m = gssm_runtime::format::load(&bytes, &Default::default()).unwrap();
        assert_eq!(m.manifest.outputs.len(), 6);
        // Cross-check the hand-made group against the file's Cayley table.
        let elems: Vec<Perm> = m.manifest.outputs.iter().map(|l| eval_label(l)).collect();
        for g in 0..6 {
            for h in 0..6 {
                assert_eq!(
                    elems[m.group().unwrap().mul(6, g as u32, h as u32) as usize],
                    mul(elems[g], elems[h]),
                    "group.table[{g}, {h}]"
                );
            }
        }
        Labels {
            tokens: m.manifest.tokens.clone(),
            outputs: m.manifest.outputs.clone(),
        }
    })
}

/// Output id of each running product of a token-id sequence.
fn running_products(labels: &Labels, seq: &[u32]) -> Vec<usize> {
    let elems: Vec<Perm> = labels.outputs.iter().map(|l| eval_label(l)).collect();
    let tokens: Vec<Perm> = labels.tokens.iter().map(|l| eval_label(l)).collect();
    let mut acc = [0, 1, 2];
    seq.iter()
        .map(|&t| {
            acc = mul(acc, tokens[t as usize]);
            elems.iter().position(|&e| e == acc).unwrap()
        })
        .collect()
}

/// Seeded token ids below 6.
fn random_ids(n: usize, mut seed: u64) -> Vec<u32> {
    (0..n)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % 6) as u32
        })
        .collect()
}

/// Wait for a child, reading its output meanwhile, and kill it after a
/// generous deadline so a read that never ends fails the test instead of
/// hanging it.
fn finish(mut child: Child) -> Output {
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                r.read_to_end(&mut v).expect("read gssm's output");
            }
            v
        })
    };
    let stdout = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let stderr = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for gssm") {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("gssm did not stop reading");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn gssm(args: &[&str]) -> Output {
    let child = Command::new(GSSM)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gssm");
    finish(child)
}

/// gssm with an endless stream of `chunk` on its stdin.
fn gssm_fed(args: &[&str], chunk: &'static [u8]) -> Output {
    let mut child = Command::new(GSSM)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gssm");
    let mut stdin = child.stdin.take().unwrap();
    // Writes until gssm stops reading and the pipe breaks.
    let feeder = std::thread::spawn(move || {
        let block = chunk.repeat((1 << 16) / chunk.len());
        while stdin.write_all(&block).is_ok() {}
    });
    let out = finish(child);
    feeder.join().unwrap();
    out
}

fn assert_fails(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in stderr: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn dev_zero_as_a_model_fails_at_the_byte_limit() {
    for cmd in ["run", "verify"] {
        let out = gssm(&[cmd, "/dev/zero", "--max-model-bytes", "100000"]);
        assert_fails(
            &out,
            &[
                "/dev/zero has more than 100000 bytes",
                "raise it with --max-model-bytes",
            ],
        );
    }
    // A regular file's size is refused before reading it.
    let big = tmp("big.safetensors");
    std::fs::write(&big, vec![0u8; 2000]).unwrap();
    let out = gssm(&["run", big.to_str().unwrap(), "--max-model-bytes", "1000"]);
    assert_fails(&out, &["is 2000 bytes, more than 1000 bytes"]);
}

#[test]
fn dev_zero_as_input_fails_at_the_word_limit() {
    let model = s3_model().to_str().unwrap();
    for ids in [false, true] {
        let mut args = vec!["run", model, "--input", "/dev/zero"];
        if ids {
            args.push("--input-ids");
        }
        let out = gssm(&args);
        assert_fails(
            &out,
            &["/dev/zero: sequence 1, position 0: a word longer than 64 bytes"],
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn endless_stdin_fails_at_a_limit() {
    let model = s3_model().to_str().unwrap();
    let out = gssm_fed(&["run", model, "--input", "-"], b"\0");
    assert_fails(
        &out,
        &["stdin: sequence 1, position 0: a word longer than 64 bytes"],
    );
    let out = gssm_fed(&["run", model, "--input", "-"], b"\n");
    assert_fails(
        &out,
        &["stdin: more than 1048576 bytes of white space in a row after 0 sequences"],
    );
    // Valid tokens forever, on one line and on many: the step limit ends it.
    for chunk in [&b"c t "[..], b"c t\n"] {
        let out = gssm_fed(&["run", model, "-i", "-", "--max-steps", "100000"], chunk);
        assert_fails(
            &out,
            &["more than 100000 token steps in all (raise the limit with --max-steps)"],
        );
    }
}

/// Lines mixing labels and ids, with blank lines and assorted white space;
/// enough tokens for several batches.
#[test]
fn streamed_batches_give_the_running_products() {
    let labels = s3_labels();
    let (lines, len) = (2000, 600);
    let mut text = String::new();
    let mut want = String::new();
    let mut want_ids = String::new();
    let mut pick = random_ids(2 * lines * len, 99).into_iter();
    for line in 0..lines {
        let seq = random_ids(len, line as u64);
        for (i, &t) in seq.iter().enumerate() {
            let sep = [" ", "\t", "  ", " \u{a0}"][pick.next().unwrap() as usize % 4];
            if i > 0 {
                text.push_str(sep);
            }
            // A token's label or its id, at random.
            if pick.next().unwrap().is_multiple_of(2) {
                text.push_str(&labels.tokens[t as usize]);
            } else {
                text.push_str(&t.to_string());
            }
        }
        text.push_str(if line.is_multiple_of(7) {
            "\r\n\n  \n"
        } else {
            "\n"
        });
        let ys = running_products(labels, &seq);
        let words: Vec<&str> = ys.iter().map(|&y| labels.outputs[y].as_str()).collect();
        want.push_str(&words.join(" "));
        want.push('\n');
        let ids: Vec<String> = ys.iter().map(|y| y.to_string()).collect();
        want_ids.push_str(&ids.join(" "));
        want_ids.push('\n');
    }
    let input = tmp("mixed.txt");
    std::fs::write(&input, &text).unwrap();
    let model = s3_model().to_str().unwrap();
    let input = input.to_str().unwrap();
    for backend in ["reference", "jit"] {
        let out = gssm(&["run", model, "--input", input, "--backend", backend]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout == want.as_bytes(), "{backend}: outputs differ");
        let out = gssm(&["run", model, "-i", input, "--backend", backend, "--ids"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout == want_ids.as_bytes(),
            "{backend} --ids: outputs differ"
        );
    }
}

#[test]
fn tokens_and_input_rules() {
    let labels = s3_labels();
    let model = s3_model().to_str().unwrap();
    let out = gssm(&["run", model, "--tokens", "c t c^-1 3"]);
    assert!(out.status.success());
    let seq = [1, 3, 2, 3];
    let ys = running_products(labels, &seq);
    let words: Vec<&str> = ys.iter().map(|&y| labels.outputs[y].as_str()).collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), words.join(" ") + "\n");
    // Labels are not ids with --input-ids.
    let out = gssm(&["run", model, "--tokens", "1 c", "--input-ids"]);
    assert_fails(&out, &["sequence 1: unknown token 'c' at position 1"]);
    let input = tmp("ragged.txt");
    std::fs::write(&input, "c t\n\nt c t\n").unwrap();
    let out = gssm(&["run", model, "-i", input.to_str().unwrap()]);
    assert_fails(
        &out,
        &["sequence 2 has 3 tokens, sequence 1 has 2: a batch needs equal lengths"],
    );
    let out = gssm(&[
        "run",
        model,
        "-i",
        input.to_str().unwrap(),
        "--max-steps",
        "4",
    ]);
    assert_fails(&out, &["sequence 2: more than 4 token steps in all"]);
    std::fs::write(&input, b"c t\nt \xff\n").unwrap();
    let out = gssm(&["run", model, "-i", input.to_str().unwrap()]);
    assert_fails(
        &out,
        &["sequence 2, position 1: stream did not contain valid UTF-8"],
    );
}

/// Peak resident memory of a child, from the kernel's accounting for that
/// child alone (wait4), in bytes; and its exit code.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn wait_peak_rss(child: Child) -> (i32, u64) {
    use std::os::raw::{c_int, c_long};
    /// struct rusage on 64-bit Linux: two struct timeval, then 14 longs,
    /// the first ru_maxrss in KiB.
    #[repr(C)]
    struct Rusage {
        times: [c_long; 4],
        maxrss: c_long,
        rest: [c_long; 13],
    }
    extern "C" {
        fn wait4(pid: c_int, status: *mut c_int, options: c_int, usage: *mut Rusage) -> c_int;
    }
    let pid = child.id() as c_int;
    let mut status: c_int = 0;
    let mut usage = Rusage {
        times: [0; 4],
        maxrss: 0,
        rest: [0; 13],
    };
    loop {
        // SAFETY: both pointers are to live locals of the right layout;
        // `pid` is our own unreaped child.
        let r = unsafe { wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "wait4: {e}");
    }
    let code = if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        -1
    };
    (code, usage.maxrss as u64 * 1024)
}

/// One line of 2.5·10^6 token ids. Holding the input as text and words, as
/// a read-everything design does, takes ~75 bytes per token (190 MB here);
/// streamed, the ids and outputs take 8 bytes per token (20 MB) on top of
/// the program itself.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[test]
fn one_long_sequence_runs_in_bounded_memory() {
    let labels = s3_labels();
    let n = 2_500_000;
    let seq = random_ids(n, 7);
    let mut text = String::with_capacity(2 * n + 1);
    for (i, t) in seq.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        text.push(char::from(b'0' + *t as u8));
    }
    text.push('\n');
    let input = tmp("long.txt");
    std::fs::write(&input, &text).unwrap();
    drop(text);
    let output = tmp("long.out");
    let child = Command::new(GSSM)
        .arg("run")
        .arg(s3_model())
        .arg("--input")
        .arg(&input)
        .args(["--input-ids", "--ids", "--backend", "reference"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&output).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run gssm");
    let (code, peak) = wait_peak_rss(child);
    assert_eq!(code, 0);
    eprintln!("peak resident memory: {peak} bytes for {n} tokens");
    let limit = 30 * n as u64;
    assert!(
        peak < limit,
        "peak resident memory {peak} bytes, want below {limit}"
    );
    let out = std::fs::read_to_string(&output).unwrap();
    let want = running_products(labels, &seq);
    let mut got = 0;
    for (i, w) in out.trim_end().split(' ').enumerate() {
        assert_eq!(w.parse::<usize>().ok(), Some(want[i]), "step {i}");
        got += 1;
    }
    assert_eq!(got, n);
    std::fs::remove_file(&input).ok();
    std::fs::remove_file(&output).ok();
}
