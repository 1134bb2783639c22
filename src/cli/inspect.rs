//! `gssm inspect MODEL`: what a compiled weight file is, as text or as a
//! Graphviz graph.
//!
//! The model is read into tables (the tokens, one per layer, the readout)
//! that both renderers share, so text and graph always show the same
//! facts. Each kind of layer has one function that builds its table;
//! [`diagonal_layer`] is the only kind there is so far.

use super::common::{fail, load_model, ModelLimits};
use gssm_runtime::ir::{cycle_notation, pc_word, Diagonal, Layer, Net, Truth};
use gssm_runtime::valid::ValidModel;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InspectFormat {
    /// Plain text.
    Text,
    /// A Graphviz graph (`dot -Tsvg` renders it).
    Dot,
    /// SVG, rendered by Graphviz's `dot` program, which must be installed.
    Svg,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Weight file written by `gssm compile`.
    pub model: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: InspectFormat,
    /// Show every row and column of every table (by default a table shows
    /// at most 64 rows and 16 state-code columns).
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub limits: ModelLimits,
}

/// Rows and state-code columns a table shows without `--full`.
const MAX_ROWS: usize = 64;
const MAX_CODE_COLUMNS: usize = 16;

pub fn run(a: Args) -> ExitCode {
    let model = match load_model(&a.model, &a.limits.get()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let limits = if a.full {
        Shown {
            rows: usize::MAX,
            codes: usize::MAX,
        }
    } else {
        Shown {
            rows: MAX_ROWS,
            codes: MAX_CODE_COLUMNS,
        }
    };
    let view = View::of(&model, limits);
    let out = match a.format {
        InspectFormat::Text => view.text(),
        InspectFormat::Dot => view.dot(),
        InspectFormat::Svg => match svg(&view.dot()) {
            Ok(s) => s,
            Err(e) => return fail(e),
        },
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the output: {e}")),
    }
}

/// How much of each table is shown.
#[derive(Clone, Copy)]
struct Shown {
    rows: usize,
    codes: usize,
}

/// A table of the model, rendered as aligned text or as an HTML-like
/// Graphviz label.
struct Table {
    /// The graph node's name.
    node: String,
    /// The cluster the node is drawn in, which also prefixes the title in
    /// text ("layer 0").
    cluster: Option<String>,
    title: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Rows and columns left out, and what they are.
    more_rows: Option<String>,
    more_columns: Option<String>,
}

/// Everything `inspect` shows, built once from the model.
struct View {
    summary: Vec<String>,
    tokens: Table,
    layers: Vec<Table>,
    readout: Table,
}

/// "k more NOUNs (--full shows all)" when `total` exceeds `shown`.
fn elided(total: usize, shown: usize, noun: &str) -> Option<String> {
    (total > shown).then(|| format!("… {} more {noun} (--full shows all)", total - shown))
}

impl View {
    fn of(model: &ValidModel, shown: Shown) -> View {
        let m = &model.manifest;
        let (num_layers, widths) = gssm_compiler::report::verify::shape(model);
        let widths: Vec<String> = widths.iter().map(|w| w.to_string()).collect();
        let generators: Vec<String> = match (&m.group, model.group()) {
            (Some(info), Some(g)) => info
                .generators
                .iter()
                .zip(&g.generators)
                .map(|(name, &x)| {
                    let label = &m.outputs[x as usize];
                    if label == name {
                        name.clone()
                    } else {
                        format!("{name} = {label}")
                    }
                })
                .collect(),
            (Some(info), None) => match (model.perm(), model.pc()) {
                (Some(p), _) => info
                    .generators
                    .iter()
                    .zip(&p.generators)
                    .map(|(name, g)| format!("{name} = {}", cycle_notation(g)))
                    .collect(),
                (None, Some(p)) => info
                    .generators
                    .iter()
                    .zip(&p.generators)
                    .map(|(name, g)| format!("{name} = {}", pc_word(g)))
                    .collect(),
                (None, None) => Vec::new(),
            },
            _ => Vec::new(),
        };
        let what = match model.automaton() {
            Some(a) => format!(
                "automaton, {} states, start {}",
                model.order(),
                m.outputs[a.start as usize]
            ),
            None => format!("order {}", model.order()),
        };
        let summary = vec![
            format!(
                "{}: {what}, target {}, {}, {} layer{} of width{} {}",
                m.name(),
                m.target,
                m.dtype,
                num_layers,
                if num_layers == 1 { "" } else { "s" },
                if num_layers == 1 { "" } else { "s" },
                if widths.is_empty() {
                    "-".to_string()
                } else {
                    widths.join(", ")
                }
            ),
            if model.automaton().is_some() {
                format!("states: {}", m.outputs.join(" "))
            } else {
                format!("generators: {}", generators.join(", "))
            },
            format!(
                "tokens ({}): {}{}",
                m.tokens.len(),
                m.tokens[..m.tokens.len().min(shown.rows)].join(" "),
                if m.tokens.len() > shown.rows {
                    " …"
                } else {
                    ""
                }
            ),
        ];
        let tokens = Table {
            node: "tokens".into(),
            cluster: None,
            title: format!("tokens ({})", m.tokens.len()),
            columns: vec![
                "id".into(),
                "token".into(),
                if model.automaton().is_some() {
                    "maps the states to".into()
                } else {
                    "element".into()
                },
            ],
            rows: (0..m.tokens.len())
                .take(shown.rows)
                .map(|i| {
                    let what = match &model.truth {
                        Truth::Group(g) => m.outputs[g.token_elements[i] as usize].clone(),
                        Truth::Perm(p) => cycle_notation(&p.tokens[i]),
                        Truth::Pc(p) => pc_word(&p.tokens[i]),
                        Truth::Automaton(a) => (0..model.order() as u32)
                            .take(shown.rows)
                            .map(|q| m.outputs[a.next(q, i as u32) as usize].as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                    };
                    vec![i.to_string(), m.tokens[i].clone(), what]
                })
                .collect(),
            more_rows: elided(m.tokens.len(), shown.rows, "tokens"),
            more_columns: None,
        };
        let (layers, readout) = match model.diagonal() {
            Some(d) => (
                (0..d.layers.len())
                    .map(|i| diagonal_layer(model, d, i, shown))
                    .collect(),
                readout(model, d, shown),
            ),
            None => cell(model, shown),
        };
        View {
            summary,
            tokens,
            layers,
            readout,
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for line in &self.summary {
            s.push_str(line);
            s.push('\n');
        }
        for t in self.layers.iter().chain([&self.readout]) {
            s.push('\n');
            if let Some(c) = &t.cluster {
                s.push_str(c);
                s.push_str(": ");
            }
            s.push_str(&t.title);
            s.push('\n');
            text_table(&mut s, t);
        }
        s.push_str(
            "\nturn c/n: the transition a = exp(2πi·c/n) of each state component;\n\
             next@c: the next layer's token when this layer's state code after the step is c;\n\
             a layer's state code is q0 + n0·(q1 + n1·(q2 + …)) over its components' codes q.\n",
        );
        s
    }

    fn dot(&self) -> String {
        let mut s = String::from("digraph gssm {\n");
        let title: Vec<String> = self.summary.iter().map(|l| dot_string(l)).collect();
        // `\l` ends a left-justified line.
        s.push_str(&format!(
            "  graph [rankdir=LR, labelloc=t, labeljust=l, fontname=\"monospace\", label=\"{}\\l\"];\n",
            title.join("\\l")
        ));
        s.push_str("  node [shape=plaintext, fontname=\"monospace\"];\n");
        s.push_str("  edge [fontname=\"monospace\", fontsize=10];\n");
        dot_node(&mut s, "  ", &self.tokens);
        for t in &self.layers {
            match &t.cluster {
                Some(c) => {
                    s.push_str(&format!("  subgraph cluster_{} {{\n", t.node));
                    s.push_str(&format!(
                        "    label=\"{}\"; style=rounded; fontname=\"monospace\";\n",
                        dot_string(c)
                    ));
                    dot_node(&mut s, "    ", t);
                    s.push_str("  }\n");
                }
                None => dot_node(&mut s, "  ", t),
            }
        }
        dot_node(&mut s, "  ", &self.readout);
        let first = self.layers.first().map_or("readout", |t| t.node.as_str());
        s.push_str(&format!("  tokens -> {first} [label=\"token\"];\n"));
        for pair in self.layers.windows(2) {
            s.push_str(&format!(
                "  {} -> {} [label=\"next token\"];\n",
                pair[0].node, pair[1].node
            ));
        }
        for (i, t) in self.layers.iter().enumerate() {
            s.push_str(&format!(
                "  {} -> readout [label=\"code {i}\", style=dashed];\n",
                t.node
            ));
        }
        s.push_str("}\n");
        s
    }
}

/// The label of token `v` of layer `i`: the manifest's for the input layer;
/// a later layer's tokens are ids only (the file gives them no words).
fn token_label(model: &ValidModel, layer: usize, v: usize) -> String {
    if layer == 0 {
        model.manifest.tokens[v].clone()
    } else {
        format!("#{v}")
    }
}

/// A diagonal layer: per token, its transition as a fraction of a turn per
/// state component (c/n, a = exp(2πi·c/n)), and, for all but the last
/// layer, the next layer's token for each state code after the step.
fn diagonal_layer(model: &ValidModel, d: &Diagonal, i: usize, shown: Shown) -> Table {
    let l: &Layer = &d.layers[i];
    let (v, r, codes) = (l.num_tokens, l.width(), l.num_codes());
    let has_next = !l.cocycle.is_empty();
    let shown_codes = if has_next { codes.min(shown.codes) } else { 0 };
    let mut columns = vec!["token".to_string(), "turn".to_string()];
    columns.extend((0..shown_codes).map(|c| format!("next@{c}")));
    let rows = (0..v.min(shown.rows))
        .map(|t| {
            let turns: Vec<String> = (0..r)
                .map(|j| format!("{}/{}", l.transition_code[t * r + j], l.moduli[j]))
                .collect();
            let mut row = vec![token_label(model, i, t), turns.join(" ")];
            row.extend((0..shown_codes).map(|c| format!("#{}", l.cocycle[c * v + t])));
            row
        })
        .collect();
    let moduli: Vec<String> = l.moduli.iter().map(|n| n.to_string()).collect();
    Table {
        node: format!("layer{i}"),
        cluster: Some(format!("layer {i}")),
        title: format!(
            "moduli [{}], {v} token{}, {codes} state code{}",
            moduli.join(", "),
            if v == 1 { "" } else { "s" },
            if codes == 1 { "" } else { "s" },
        ),
        columns,
        rows,
        more_rows: elided(v, shown.rows, "tokens"),
        more_columns: if has_next {
            elided(codes, shown.codes, "state codes")
        } else {
            None
        },
    }
}

/// A one-layer cell: per token, what its transition does, and the decoding.
fn cell(model: &ValidModel, shown: Shown) -> (Vec<Table>, Table) {
    let m = &model.manifest;
    let v = model.num_tokens();
    let perm = |row: &[u32]| {
        let images: Vec<String> = row.iter().map(|x| (x + 1).to_string()).collect();
        format!("[{}]", images.join(" "))
    };
    let (title, column, describe): (String, &str, Box<dyn Fn(usize) -> String>) = match &model.net {
        Net::Pd(c) => {
            let n = c.action.degree();
            (
                format!("PD-SSM on {n} points: P(x) moves point j to the listed point"),
                "P(x)",
                Box::new(move |t| perm(&c.index[t * n..(t + 1) * n])),
            )
        }
        Net::Delta(c) => {
            let mm = c.reflections(v);
            (
                format!(
                    "DeltaProduct, state dimension {}, {mm} reflection{} per token",
                    c.dim(),
                    if mm == 1 { "" } else { "s" }
                ),
                "β per factor",
                Box::new(move |t| {
                    let b: Vec<String> = c.beta[t * mm..(t + 1) * mm]
                        .iter()
                        .map(|b| b.to_string())
                        .collect();
                    b.join(" ")
                }),
            )
        }
        Net::Rnn(c) => (
            format!(
                "Elman RNN (ReLU), {} hidden units, one per (element, token)",
                c.hidden()
            ),
            "input column",
            Box::new(move |t| {
                let ones = (0..c.hidden())
                    .filter(|&u| c.weight_ih[u * v + t] == 1.0)
                    .count();
                format!("{ones} unit(s) driven")
            }),
        ),
        Net::Diagonal(_) => unreachable!("diagonal models have layers"),
    };
    let layer = Table {
        node: "layer0".into(),
        cluster: Some("layer 0".into()),
        title,
        columns: vec!["token".into(), column.into()],
        rows: (0..v.min(shown.rows))
            .map(|t| vec![m.tokens[t].clone(), describe(t)])
            .collect(),
        more_rows: elided(v, shown.rows, "tokens"),
        more_columns: None,
    };
    let action = match &model.net {
        Net::Pd(c) => Some(&c.action),
        Net::Delta(c) => Some(&c.action),
        _ => None,
    };
    let n = model.order();
    let readout = match action {
        Some(a) => Table {
            node: "readout".into(),
            cluster: None,
            title: "readout: the points' positions → element".into(),
            columns: vec!["positions".into(), "element".into()],
            rows: (0..n.min(shown.rows))
                .map(|g| {
                    // Without a table the arrangement of element g is g.
                    let row = match (a.row(g), model.perm()) {
                        (Some(row), _) => row.to_vec(),
                        (None, Some(p)) => p.unrank(g as u32),
                        (None, None) => Vec::new(),
                    };
                    vec![perm(&row), model.output_label(g as u32)]
                })
                .collect(),
            more_rows: elided(n, shown.rows, "elements"),
            more_columns: None,
        },
        None => Table {
            node: "readout".into(),
            cluster: None,
            title: "readout: argmax of readout.weight·h + readout.bias → element".into(),
            columns: vec!["element".into()],
            rows: (0..n.min(shown.rows))
                .map(|g| vec![m.outputs[g].clone()])
                .collect(),
            more_rows: elided(n, shown.rows, "elements"),
            more_columns: None,
        },
    };
    (vec![layer], readout)
}

/// The readout: joint state code → element label.
fn readout(model: &ValidModel, d: &Diagonal, shown: Shown) -> Table {
    let sizes: Vec<usize> = d.layers.iter().map(|l| l.num_codes()).collect();
    let mut radix = Vec::new();
    let mut stride = String::new();
    for (i, c) in sizes.iter().enumerate() {
        radix.push(if i == 0 {
            "code0".to_string()
        } else {
            format!("{stride}code{i}")
        });
        stride = format!("{stride}{c}·");
    }
    let mut columns = vec!["code".to_string()];
    columns.extend((0..sizes.len()).map(|i| format!("layer {i}")));
    columns.push("element".into());
    // Without a readout the joint code is the output id: its element is
    // made on demand.
    let n = sizes.iter().fold(1usize, |a, &c| a.saturating_mul(c));
    let rows = (0..n.min(shown.rows))
        .map(|joint| {
            let mut row = vec![joint.to_string()];
            let mut rest = joint;
            for &c in &sizes {
                row.push((rest % c).to_string());
                rest /= c;
            }
            row.push(model.output_label(d.output(joint)));
            row
        })
        .collect();
    Table {
        node: "readout".into(),
        cluster: None,
        title: format!(
            "{} ({n} joint code{}{}): joint code → element",
            if d.readout.is_some() {
                "readout"
            } else {
                "outputs, no readout: the joint code is the element's id"
            },
            if n == 1 { "" } else { "s" },
            if radix.len() > 1 {
                format!(" = {}", radix.join(" + "))
            } else {
                String::new()
            }
        ),
        columns,
        rows,
        more_rows: elided(n, shown.rows, "codes"),
        more_columns: None,
    }
}

/// Append `t` as aligned columns, indented by two spaces.
fn text_table(s: &mut String, t: &Table) {
    let n = t.columns.len();
    let mut width = vec![0; n];
    for row in std::iter::once(&t.columns).chain(&t.rows) {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&t.columns).chain(&t.rows) {
        let mut line = String::from(" ");
        for (j, cell) in row.iter().enumerate() {
            line.push(' ');
            line.push_str(cell);
            if j + 1 < n {
                line.extend(std::iter::repeat_n(
                    ' ',
                    width[j] - cell.chars().count() + 1,
                ));
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    for more in t.more_rows.iter().chain(&t.more_columns) {
        s.push_str("  ");
        s.push_str(more);
        s.push('\n');
    }
}

/// Escape text for a double-quoted DOT string.
fn dot_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Escape text for an HTML-like DOT label.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Append `t` as a node whose label is an HTML-like table.
fn dot_node(s: &mut String, indent: &str, t: &Table) {
    let span = t.columns.len();
    s.push_str(&format!(
        "{indent}{} [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">\n",
        t.node
    ));
    s.push_str(&format!(
        "{indent}  <tr><td colspan=\"{span}\"><b>{}</b></td></tr>\n",
        html(&t.title)
    ));
    let cells = |row: &[String], bold: bool| -> String {
        row.iter()
            .map(|c| {
                if bold {
                    format!("<td><b>{}</b></td>", html(c))
                } else {
                    format!("<td>{}</td>", html(c))
                }
            })
            .collect()
    };
    s.push_str(&format!("{indent}  <tr>{}</tr>\n", cells(&t.columns, true)));
    for row in &t.rows {
        s.push_str(&format!("{indent}  <tr>{}</tr>\n", cells(row, false)));
    }
    for more in t.more_rows.iter().chain(&t.more_columns) {
        s.push_str(&format!(
            "{indent}  <tr><td colspan=\"{span}\"><i>{}</i></td></tr>\n",
            html(more)
        ));
    }
    s.push_str(&format!("{indent}</table>>];\n"));
}

/// Render DOT source to SVG with Graphviz's `dot`.
fn svg(dot: &str) -> Result<String, String> {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                "--format svg runs Graphviz's `dot`, which is not installed (or not on PATH): \
                 install graphviz (e.g. `apt install graphviz`), or write the graph with \
                 --format dot and render it elsewhere"
                    .into(),
            )
        }
        Err(e) => return Err(format!("cannot run Graphviz's `dot`: {e}")),
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    let source = dot.to_string();
    // Write from another thread, so that neither side waits on a full pipe.
    let writer = std::thread::spawn(move || stdin.write_all(source.as_bytes()));
    let mut svg = String::new();
    let mut stdout = child.stdout.take().expect("piped stdout");
    let read = stdout.read_to_string(&mut svg);
    let out = child
        .wait_with_output()
        .map_err(|e| format!("cannot run Graphviz's `dot`: {e}"))?;
    let wrote = writer.join().expect("the writer thread does not panic");
    if !out.status.success() {
        return Err(format!(
            "Graphviz's `dot` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    read.map_err(|e| format!("cannot read the output of `dot`: {e}"))?;
    wrote.map_err(|e| format!("cannot write to `dot`: {e}"))?;
    Ok(svg)
}
