//! The SSM IR: plain data describing a sequence model that tracks a finite
//! group or the state of a finite automaton ([`Truth`]) — a stack of
//! diagonal SSM layers ([`Diagonal`]) or one non-diagonal cell ([`PdCell`],
//! [`DeltaCell`], [`RnnCell`]). The compiler
//! produces it, `format` serialises it, [`crate::valid`] checks it, and every
//! executor consumes the checked [`crate::valid::ValidModel`]. It knows
//! nothing of the source language.
//!
//! Diagonal semantics (per time step t, layers in order 0..k):
//!   v_0 = x_t (input token id);
//!   layer i: h_i <- a_i[v_i] ⊙ h_i + b_i[v_i]   (complex, elementwise)
//!            q_ij = round(arg(h_ij) · n_ij / 2π) mod n_ij   (a phase digit)
//!            q_ij = #{θ ∈ REGISTER_THRESHOLDS : re h_ij ≥ θ}  (a register digit)
//!            code_i = q_i0 + n_i0·(q_i1 + n_i1·(q_i2 + …))  (mixed radix)
//!            v_{i+1} = cocycle_i[code_i · V_i + v_i]        (i < k-1)
//!   y_t = readout[code_0 + C_0·(code_1 + C_1·(code_2 + …))]  (C_i = ∏_j n_ij)
//!
//! The cells' semantics are documented on their types and in the README's
//! weight-format tables. With a start token (`manifest.bos`), the model runs
//! from the zero state and every sequence begins with that token, which
//! writes the initial state (and resets it wherever it occurs later).
//!
//! Every fact is stored once: sizes (order, widths, token and code counts)
//! are the lengths of the tables, never separate fields that could disagree.

use serde::{Deserialize, Serialize};

/// The model as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub manifest: Manifest,
    /// The recurrence and its decoding.
    pub net: Net,
    /// What the outputs must equal: the ground truth's own description.
    pub truth: Truth,
}

/// The tracked object, carried in the file so that the ground truth never
/// comes from the layers.
#[derive(Clone, Debug, PartialEq)]
pub enum Truth {
    /// Output t is the running product x_1⋯x_t in a finite group.
    Group(GroupTruth),
    /// Output t is the state of a deterministic automaton after x_1…x_t.
    Automaton(AutomatonTruth),
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupTruth {
    /// Cayley table: `table[g * order + h] = g·h`. Output class ids are
    /// element ids; element 0 is the identity.
    pub table: Vec<u32>,
    /// Generator i (named `manifest.group.generators[i]`) -> element id.
    /// Labels are words in these generators.
    pub generators: Vec<u32>,
    /// Input token id -> element id.
    pub token_elements: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AutomatonTruth {
    /// `delta[v * S + q]`: the state reached from state q by token v.
    /// Output class ids are state ids.
    pub delta: Vec<u32>,
    /// The state before any token.
    pub start: u32,
    /// `accept[q]`: 1 when state q accepts, else 0.
    pub accept: Vec<u32>,
}

impl AutomatonTruth {
    pub fn num_states(&self) -> usize {
        self.accept.len()
    }
    #[inline]
    pub fn next(&self, q: u32, v: u32) -> u32 {
        self.delta[v as usize * self.accept.len() + q as usize]
    }
}

/// What the model computes with: one kind per target family.
#[derive(Clone, Debug, PartialEq)]
pub enum Net {
    /// Diagonal layers with cocycle decoders (aussm, neg-mamba, mamba, gla, s4d).
    Diagonal(Diagonal),
    /// One PD-SSM layer, A(x) = P(x)·D(x) (pd-ssm).
    Pd(PdCell),
    /// One layer of products of generalised Householder reflections
    /// (deltaproduct).
    Delta(DeltaCell),
    /// One Elman RNN layer with ReLU and a linear readout (rnn).
    Rnn(RnnCell),
}

/// A stack of diagonal layers.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagonal {
    pub layers: Vec<Layer>,
    /// Joint state code (layer 0 least significant) -> output class id.
    pub readout: Vec<u32>,
}

/// Sentinel output of a step whose state decodes to no element (possible
/// only where floats have drifted: pd-ssm and deltaproduct).
pub const UNDECODABLE: u32 = u32::MAX;

/// A faithful right action of the group on points 0..n, and the values that
/// mark the points in a state vector.
#[derive(Clone, Debug, PartialEq)]
pub struct PointAction {
    /// `images[g * n + j]` = j·g, for every element g.
    pub images: Vec<u32>,
    /// `points[j]`: the value that marks point j (distinct).
    pub points: Vec<f64>,
}

impl PointAction {
    pub fn degree(&self) -> usize {
        self.points.len()
    }
    /// Images of element g's points.
    pub fn row(&self, g: usize) -> &[u32] {
        let n = self.degree();
        &self.images[g * n..(g + 1) * n]
    }
}

/// PD-SSM: h' = P(x)·D(x)·h + b(x), P column one-hot.
/// `h'[index[x, j]] = diag[x, j]·h[j] + input[x, index[x, j]]`; the state is
/// decoded by its points (see [`PointAction`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PdCell {
    pub action: PointAction,
    /// [V][n]: column j of P(x) has its one in row `index[x, j]`.
    pub index: Vec<u32>,
    /// [V][n]: D(x).
    pub diag: Vec<f64>,
    /// [V][n]: b(x).
    pub input: Vec<f64>,
    /// [n]: the initial state.
    pub h0: Vec<f64>,
}

/// DeltaProduct: per token, m steps h ← h + (β_r·k_r)·(v_r − k_r·h); the
/// points are decoded from x = basis·h + offset.
#[derive(Clone, Debug, PartialEq)]
pub struct DeltaCell {
    pub action: PointAction,
    /// [n][d]
    pub basis: Vec<f64>,
    /// [n]
    pub offset: Vec<f64>,
    /// [V][m][d] unit keys.
    pub k: Vec<f64>,
    /// [V][m] β ∈ [0, 2].
    pub beta: Vec<f64>,
    /// [V][m] written values.
    pub v: Vec<f64>,
    /// [d] the initial state.
    pub h0: Vec<f64>,
}

impl DeltaCell {
    /// State dimension d.
    pub fn dim(&self) -> usize {
        self.h0.len()
    }
    /// Reflections per token m (given the token count).
    pub fn reflections(&self, num_tokens: usize) -> usize {
        self.beta.len() / num_tokens.max(1)
    }
}

/// Elman RNN (torch.nn.RNN, ReLU): h' = relu(W_ih·e_x + b_ih + W_hh·h + b_hh)
/// from h = 0; output argmax(W_out·h + b_out), the first maximum on ties.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnCell {
    /// [H][V]
    pub weight_ih: Vec<f64>,
    /// [H][H]
    pub weight_hh: Vec<f64>,
    /// [H]
    pub bias_ih: Vec<f64>,
    /// [H]
    pub bias_hh: Vec<f64>,
    /// [N][H]
    pub readout_weight: Vec<f64>,
    /// [N]
    pub readout_bias: Vec<f64>,
}

impl RnnCell {
    /// Hidden size H.
    pub fn hidden(&self) -> usize {
        self.bias_ih.len()
    }
}

/// How a component of a diagonal layer holds and decodes its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coord {
    /// A point of the circle: digit = round(arg h · n / 2π) mod n. Code
    /// c < n rotates (a = exp(2πi·c/n), b = 0); code n ≤ c < 2n resets to
    /// digit c − n (a = 0, b = exp(2πi·(c−n)/n)). h0 = exp(2πi·d/n) for its
    /// digit d.
    Phase,
    /// A real two-bit register holding the current bit and the bit before
    /// the last write: h ∈ [4·cur + prev, 4·cur + prev + 1/2), digit =
    /// 2·cur + prev (modulus 4), read by comparing re h with
    /// [`REGISTER_THRESHOLDS`]. Code 0 keeps (a = 1, b = 0); code 1 + c
    /// writes bit c (a = 1/4, b = 4c), which shifts the old current bit into
    /// `prev`. h0 = 5·d for a start with cur = prev = d. Every value is a
    /// dyadic rational with few bits, so it is exact or stays well inside
    /// its interval in every float type.
    Register,
}

/// Decision boundaries of a register digit: digit = how many of these are
/// ≤ re h.
pub const REGISTER_THRESHOLDS: [f64; 3] = [0.75, 2.5, 4.75];

impl Coord {
    pub fn id(self) -> u32 {
        match self {
            Coord::Phase => 0,
            Coord::Register => 1,
        }
    }
    pub fn from_id(id: u32) -> Option<Coord> {
        match id {
            0 => Some(Coord::Phase),
            1 => Some(Coord::Register),
            _ => None,
        }
    }
}

/// A register's digit for the value `re`.
#[inline(always)]
pub fn register_digit(re: f64) -> u32 {
    REGISTER_THRESHOLDS
        .iter()
        .map(|&t| u32::from(re >= t))
        .sum()
}

/// One diagonal layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// n_j for each state component; the layer's width is `moduli.len()`.
    pub moduli: Vec<u32>,
    /// Per component, how it is decoded; [`Coord::Register`] components
    /// have modulus 4.
    pub coords: Vec<Coord>,
    /// Number of distinct input tokens V of this layer.
    pub num_tokens: usize,
    /// Exact transition codes c[v][j] (see [`Coord`]): for phases,
    /// a[v][j] = exp(2πi·c/n_j) when c < n_j.
    pub transition_code: Vec<u32>,
    /// Float transition a(v), row-major [V][width], as stored (already
    /// rounded to the file's dtype).
    pub a_re: Vec<f64>,
    pub a_im: Vec<f64>,
    /// Phases θ(v) = arg a(v) ∈ [0, 2π), row-major [V][width]: the AUSSM
    /// parameterisation, which readers that train from phases use. `None`
    /// for targets without phases.
    pub phase: Option<Vec<f64>>,
    /// Float input term b(v), row-major [V][width].
    pub b_re: Vec<f64>,
    pub b_im: Vec<f64>,
    /// Initial state, [width].
    pub h0_re: Vec<f64>,
    pub h0_im: Vec<f64>,
    /// Decoder: [num_codes][V] -> next layer's token id. Empty for the last
    /// layer.
    pub cocycle: Vec<u32>,
}

impl Layer {
    pub fn width(&self) -> usize {
        self.moduli.len()
    }
    /// Number of distinct state codes, ∏ n_j.
    pub fn num_codes(&self) -> usize {
        self.moduli.iter().map(|&n| n as usize).product()
    }
    /// Mixed-radix state code of the digits `q` (q_0 least significant).
    pub fn code_of(&self, q: &[u32]) -> usize {
        let mut code = 0usize;
        for (qj, nj) in q.iter().zip(&self.moduli).rev() {
            code = code * (*nj as usize) + *qj as usize;
        }
        code
    }
    /// Digits of a mixed-radix code.
    pub fn digits_of(&self, mut code: usize) -> Vec<u32> {
        self.moduli
            .iter()
            .map(|&n| {
                let d = (code % n as usize) as u32;
                code /= n as usize;
                d
            })
            .collect()
    }
}

impl Model {
    /// Number of output classes: the group's order or the automaton's
    /// number of states (one output label each).
    pub fn order(&self) -> usize {
        self.manifest.outputs.len()
    }
    pub fn num_tokens(&self) -> usize {
        self.manifest.tokens.len()
    }
    /// The diagonal layers, when the model is a diagonal stack.
    pub fn diagonal(&self) -> Option<&Diagonal> {
        match &self.net {
            Net::Diagonal(d) => Some(d),
            _ => None,
        }
    }
    pub fn diagonal_mut(&mut self) -> Option<&mut Diagonal> {
        match &mut self.net {
            Net::Diagonal(d) => Some(d),
            _ => None,
        }
    }
    /// The tracked group, when the model tracks one.
    pub fn group(&self) -> Option<&GroupTruth> {
        match &self.truth {
            Truth::Group(g) => Some(g),
            Truth::Automaton(_) => None,
        }
    }
    pub fn group_mut(&mut self) -> Option<&mut GroupTruth> {
        match &mut self.truth {
            Truth::Group(g) => Some(g),
            Truth::Automaton(_) => None,
        }
    }
    /// The tracked automaton, when the model tracks one.
    pub fn automaton(&self) -> Option<&AutomatonTruth> {
        match &self.truth {
            Truth::Automaton(a) => Some(a),
            Truth::Group(_) => None,
        }
    }
    /// The output before any token: the identity, or the start state.
    pub fn initial_output(&self) -> u32 {
        match &self.truth {
            Truth::Group(_) => 0,
            Truth::Automaton(a) => a.start,
        }
    }
    /// The true output after token `t` from output `y`: the running product
    /// times the token's element (a start token resets it to the identity),
    /// or the automaton's transition.
    #[inline]
    pub fn next_output(&self, y: u32, t: u32) -> u32 {
        match &self.truth {
            Truth::Group(g) => {
                if self.manifest.bos == Some(t) {
                    0
                } else {
                    let n = self.order();
                    g.table[y as usize * n + g.token_elements[t as usize] as usize]
                }
            }
            Truth::Automaton(a) => a.next(y, t),
        }
    }
}

impl GroupTruth {
    /// Product of the Cayley table, g·h, in a group of order `n`.
    #[inline]
    pub fn mul(&self, n: usize, g: u32, h: u32) -> u32 {
        self.table[g as usize * n + h as usize]
    }
}

/// Float type of the stored parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatDtype {
    F32,
    F64,
}

impl FloatDtype {
    pub fn manifest_name(self) -> &'static str {
        match self {
            FloatDtype::F32 => "float32",
            FloatDtype::F64 => "float64",
        }
    }
    pub fn from_manifest(name: &str) -> Option<FloatDtype> {
        match name {
            "float32" => Some(FloatDtype::F32),
            "float64" => Some(FloatDtype::F64),
            _ => None,
        }
    }
    /// `x` rounded to this type (to nearest, ties to even), as an f64.
    pub fn round(self, x: f64) -> f64 {
        match self {
            FloatDtype::F32 => x as f32 as f64,
            FloatDtype::F64 => x,
        }
    }
}

/// The JSON manifest stored in the weight file's `__metadata__["gssm"]`.
/// Field order is fixed so that serialisation is deterministic. Nothing here
/// repeats what the tensors say: sizes come from the tensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always "gssm-weights".
    pub format: String,
    pub format_version: u32,
    /// "gssm <version>": provenance, not a fact the model depends on.
    pub compiler: String,
    /// The tracked group (absent for an automaton).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupInfo>,
    /// The tracked automaton (absent for a group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automaton: Option<AutomatonInfo>,
    /// Stated once, everywhere: products read left to right.
    pub convention: String,
    /// Target architecture, one of [`crate::valid::TargetKind`]'s names.
    pub target: String,
    /// Float dtype of every float tensor: "float32" or "float64".
    pub dtype: String,
    /// The start token's id (always the last token), when the model runs
    /// from the zero state and sequences begin with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bos: Option<u32>,
    /// Token id -> label: a word in the generators that evaluates to the
    /// token's element.
    pub tokens: Vec<String>,
    /// Output class id (= element id) -> label: the element's word in the
    /// generators.
    pub outputs: Vec<String>,
    /// The dtypes whose horizon `gssm compile --precision` proved infinite,
    /// and how. A claim, not a fact the model depends on: `gssm verify`
    /// proves each again and fails when one does not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proved: Vec<ProvedDtype>,
}

/// One dtype in which every rotating component's rounded orbit closes
/// (see `gssm verify`'s precision proof).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvedDtype {
    /// "f64", "f32", "f16" or "bf16": the arithmetic, not the stored dtype.
    pub dtype: String,
    /// (float state, digit) pairs in the closed orbits, all components
    /// together; 0 when no component rotates.
    pub states: usize,
    /// The proof also holds with fused multiply-adds anywhere.
    pub fused: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupInfo {
    /// The group's name as the source gave it (provenance; `gssm verify
    /// --source FILE` checks it against the source).
    pub name: String,
    /// Generator names, in the order the source gave them; their elements
    /// are the `group.generators` tensor.
    pub generators: Vec<String>,
}

impl Manifest {
    /// The tracked group's or automaton's name.
    pub fn name(&self) -> &str {
        match (&self.group, &self.automaton) {
            (Some(g), _) => &g.name,
            (None, Some(a)) => &a.name,
            (None, None) => "",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomatonInfo {
    /// The automaton's name as the source gave it (provenance).
    pub name: String,
}

pub const FORMAT_NAME: &str = "gssm-weights";
pub const FORMAT_VERSION: u32 = 4;
/// Versions this build reads: 2 (diagonal targets, no start token), 3
/// (one-layer cells, start tokens) and 4 (automata, register components).
pub const FORMAT_VERSIONS_READ: [u32; 3] = [2, 3, 4];
/// Label of the start token.
pub const BOS_LABEL: &str = "<bos>";
pub const CONVENTION: &str =
    "left-to-right: y_t = x_1*x_2*...*x_t; for permutations p*q applies p first (GAP)";
