//! Cranelift code generation: one model's whole layer stack as native code.
//!
//! Two functions are generated per model, both SIMD across independent lanes
//! (f32x4 or f64x2 vectors, `groups` of them side by side; Cranelift's x86-64
//! backend has no wider vectors):
//!
//! * `run`: whole sequences, row-major tokens in, row-major outputs out. Time
//!   goes in blocks of [`BLOCK`] steps, and within a block layer by layer
//!   (see `Gen::gen_run`), so a loop carries only one layer's complex state
//!   and the decoding of successive steps overlaps in the processor. Tokens
//!   and outputs move between the sequences' rows and step-major block
//!   buffers by 4×4 transposes, so each step reads and writes whole vectors.
//! * `expand`: one step from a block of stored states with every token, for
//!   the exhaustive check (children of a prefix tree level).
//! * `run1`: one sequence, the scan scalar and everything else vectorised
//!   across steps (see `Gen::gen_run1`).
//!
//! A phase component's digit round(arg(h)·n/2π) mod n comes from half-plane
//! tests for n ≤ [`SECTOR_MAX`], from comparisons in one octant for n
//! divisible by 4 up to [`OCTANT_MAX`], and from a polynomial arctangent
//! otherwise; all decide as the reference's libm atan2 does except within a
//! few ulps of a decision boundary. A register's digit comes from comparing re h with
//! the three thresholds, which are exact in both float types, so it decides
//! exactly as the reference does.
//!
//! Widths, moduli, token counts and table strides are compile-time constants.
//! Tables are Rust-owned buffers whose addresses are passed in a pointer
//! array; every index the code forms is in bounds by construction (see
//! [`Spec`]).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, ConstantData, Endianness, InstBuilder, MemFlagsData,
    StackSlotData, StackSlotKind, Type, UserFuncName, Value,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};

use crate::ir::{Coord, REGISTER_THRESHOLDS};

/// Time steps per block of the `run` kernel (see `Gen::gen_run`).
const BLOCK: usize = 64;

/// Tables of at most this many bytes are compiled into the code and looked
/// up in registers by byte shuffles (16 bytes per shuffle), instead of
/// through memory one lane at a time.
const LUT_BYTES: usize = 64;

/// Whether a u32 table is looked up in registers: entries are bytes.
fn small_u8(table: &[u32]) -> bool {
    !table.is_empty() && table.len() <= LUT_BYTES && table.iter().all(|&x| x < 256)
}

/// Moduli up to this many digits are decoded by half-plane tests, larger
/// ones through an arctangent (see `Gen::sector_digits`).
const SECTOR_MAX: u32 = 8;

/// Moduli above [`SECTOR_MAX`], up to this and divisible by 4, are decoded
/// by comparisons in one octant (see `Gen::octant_digits`): at most 8 of
/// them, cheaper than the arctangent.
const OCTANT_MAX: u32 = 64;

/// Float type of the generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Float {
    F32,
    F64,
}

impl Float {
    fn scalar(self) -> Type {
        match self {
            Float::F32 => types::F32,
            Float::F64 => types::F64,
        }
    }
    fn vector(self) -> Type {
        match self {
            Float::F32 => types::F32X4,
            Float::F64 => types::F64X2,
        }
    }
    /// Integer vector with the float vector's lane layout (comparison masks).
    fn ivector(self) -> Type {
        match self {
            Float::F32 => types::I32X4,
            Float::F64 => types::I64X2,
        }
    }
    /// Lanes per 128-bit vector.
    pub(super) fn width(self) -> usize {
        match self {
            Float::F32 => 4,
            Float::F64 => 2,
        }
    }
    /// Bytes per scalar.
    pub(super) fn size(self) -> usize {
        match self {
            Float::F32 => 4,
            Float::F64 => 8,
        }
    }
    fn sign_bits(self) -> u64 {
        match self {
            Float::F32 => 1 << 31,
            Float::F64 => 1 << 63,
        }
    }
}

/// How a layer's input term b(v) enters the update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bias {
    /// Every entry is +0.0: adding it only turns -0.0 into +0.0, so a
    /// constant zero is added instead of a gathered one.
    PlusZero,
    /// Every entry is -0.0: adding it changes nothing.
    MinusZero,
    /// General: gathered per lane from the bias table.
    Table,
}

/// One layer as the code generator sees it.
#[derive(Clone, Debug)]
pub(super) struct LayerSpec {
    /// (re, im) of a per (token, component), row-major; small tables are
    /// compiled into the code (see `Gen::small_params`).
    pub a: Vec<(f64, f64)>,
    /// (re, im) of b, likewise.
    pub b: Vec<(f64, f64)>,
    /// The cocycle table (empty for the last layer), likewise.
    pub cocycle: Vec<u32>,
    pub moduli: Vec<u32>,
    /// Per component: a phase (digit from the angle) or a register (digit
    /// from the real part).
    pub coords: Vec<Coord>,
    pub num_tokens: usize,
    pub h0: Vec<(f64, f64)>,
    pub bias: Bias,
    /// Product of the previous layers' code counts: this layer's place in the
    /// joint readout index.
    pub joint_stride: u32,
}

/// The model as the code generator sees it. The caller guarantees (checked
/// when the tables are built): the params/bias tables hold
/// `num_tokens × width` (re, im) pairs and 16 bytes of padding; the cocycle table holds
/// `num_codes × num_tokens` entries, each below the next layer's
/// `num_tokens`; the readout holds the product of all code counts; every
/// code, cocycle index and joint index fits in an i32. The generated code
/// then reads in bounds for any layer-0 token below the first layer's
/// `num_tokens`, whatever the float state is: digits are clamped to
/// `0..n`.
#[derive(Clone, Debug)]
pub(super) struct Spec {
    pub float: Float,
    /// Vectors interleaved per iteration.
    pub groups: usize,
    /// The model's token count (layer 0's, when there are layers).
    pub num_tokens: usize,
    pub layers: Vec<LayerSpec>,
    /// The readout table, as in the pointer array; `None`: the output id
    /// is the joint code.
    pub readout: Option<Vec<u32>>,
}

impl Spec {
    /// The readout when it is small enough to look up in registers.
    fn readout_lut(&self) -> Option<&[u32]> {
        self.readout.as_deref().filter(|r| small_u8(r))
    }

    /// Sequences processed together by one iteration.
    pub(super) fn lanes(&self) -> usize {
        self.groups * self.float.width()
    }
}

/// Slots of the pointer array passed to the generated functions.
pub(super) fn slot_params(layer: usize) -> usize {
    3 * layer
}
pub(super) fn slot_bias(layer: usize) -> usize {
    3 * layer + 1
}
pub(super) fn slot_cocycle(layer: usize) -> usize {
    3 * layer + 2
}
pub(super) fn slot_readout(layers: usize) -> usize {
    3 * layers
}
/// The constant pool ([`Code::pool`]).
pub(super) fn slot_pool(layers: usize) -> usize {
    3 * layers + 1
}
/// Always 0; the code cannot know that (see `Gen::pass`).
pub(super) fn slot_zero(layers: usize) -> usize {
    3 * layers + 2
}

/// `run(ptrs, tokens, out, len, groups)`: `groups × lanes` sequences of
/// `len` tokens, row-major, starting at `tokens`; outputs to `out` in the
/// same layout.
///
/// `state` holds each group's float state, read when the group starts and
/// written back when it ends (see [`Spec::state_len`]), so a long sequence
/// can run in pieces of time with exactly the arithmetic of one scan.
pub(super) type RunFn = unsafe extern "C" fn(*const usize, *const u32, *mut u32, u64, u64, *mut u8);

/// `expand(ptrs, parent, pstride, nparent, child, cstride, out)`: for every
/// token x (outer) and parent p < nparent (inner), child x·nparent + p is
/// parent p stepped with x. States are stored per component as rows
/// (re of layer-0 component 0, im of it, re of component 1, …) of `pstride`
/// / `cstride` scalars; outputs to `out[x·nparent + p]`. Lanes are
/// processed in groups, so up to `lanes - 1` parents past `nparent` are read
/// and as many children and outputs past the last are written; the caller
/// provides that slack.
pub(super) type ExpandFn =
    unsafe extern "C" fn(*const usize, *const u8, u64, u64, *mut u8, u64, *mut u32);

/// Generated code for one model. Owns the executable memory.
pub(super) struct Code {
    module: Option<JITModule>,
    pub run: RunFn,
    pub expand: ExpandFn,
    /// `run` for one sequence (see [`Gen::gen_run1`]): `groups` is
    /// ignored, `len` must be a multiple of 4, and the state is one
    /// group's block, of which lane 0 is read and written.
    pub run1: RunFn,
    /// Vector constants the code reads (16-byte aligned).
    pub pool: Vec<u128>,
}

// SAFETY: after `finalize_definitions` the module is only kept to free the
// code memory in `drop` (which has exclusive access); no method touches it
// through `&self`. The generated functions are reentrant: they keep all
// mutable state in registers, on their own stack, or in caller-provided
// buffers.
unsafe impl Send for Code {}
// SAFETY: as above.
unsafe impl Sync for Code {}

impl Drop for Code {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the function pointers into this memory live in `self`,
            // which is being dropped, so none can be called afterwards.
            unsafe { m.free_memory() };
        }
    }
}

/// Memory flags: table reads (aligned, in bounds, never written while the
/// code runs) and lane-block accesses (in bounds, possibly unaligned).
fn table_flags() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}
/// Parent states in `expand`: read only, possibly unaligned.
fn block_ro_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_readonly()
        .with_can_move()
}
fn data_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// Generate and link both functions for `spec`.
pub(super) fn compile(spec: &Spec) -> Result<Code, String> {
    let mut flags = settings::builder();
    for (k, v) in [
        ("opt_level", "speed"),
        ("is_pic", "false"),
        ("use_colocated_libcalls", "false"),
    ] {
        flags
            .set(k, v)
            .map_err(|e| format!("cranelift setting {k}: {e}"))?;
    }
    let isa = cranelift_native::builder()
        .map_err(|e| format!("host not supported by cranelift: {e}"))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| format!("cranelift: {e}"))?;
    if isa.pointer_type() != types::I64 {
        return Err("the JIT needs a 64-bit target".into());
    }
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let mut pool = Pool::default();
    let ids = define(&mut module, spec, &mut pool, "gssm_run", 6, |g, a| {
        g.gen_run(a)
    })
    .and_then(|run| {
        Ok((
            run,
            define(&mut module, spec, &mut pool, "gssm_expand", 7, |g, a| {
                g.gen_expand(a)
            })?,
            define(&mut module, spec, &mut pool, "gssm_run1", 6, |g, a| {
                g.gen_run1(a)
            })?,
        ))
    })
    .and_then(|ids| {
        module
            .finalize_definitions()
            .map_err(|e| format!("cranelift: {e}"))?;
        Ok(ids)
    });
    let (run_id, expand_id, run1_id) = match ids {
        Ok(ids) => ids,
        Err(e) => {
            // SAFETY: no pointer into this module's memory has been taken.
            unsafe { module.free_memory() };
            return Err(e);
        }
    };
    let run_ptr = module.get_finalized_function(run_id);
    let expand_ptr = module.get_finalized_function(expand_id);
    let run1_ptr = module.get_finalized_function(run1_id);
    // SAFETY: the functions were defined above with exactly these
    // signatures: all parameters i64 (pointers and u64 counts) in the
    // host's default C calling convention, no return value.
    let (run, expand, run1) = unsafe {
        (
            std::mem::transmute::<*const u8, RunFn>(run_ptr),
            std::mem::transmute::<*const u8, ExpandFn>(expand_ptr),
            std::mem::transmute::<*const u8, RunFn>(run1_ptr),
        )
    };
    Ok(Code {
        module: Some(module),
        run,
        expand,
        run1,
        pool: pool.data.iter().map(|b| u128::from_le_bytes(*b)).collect(),
    })
}

/// Vector constants, read from memory at each use. A constant materialised
/// once is hoisted out of the loop and, with the registers full, spilled
/// and reloaded; a load of its own (its own entry, so no two merge, from a
/// base the optimiser cannot see to be loop-invariant) instead folds into
/// the instruction that uses it.
#[derive(Default)]
struct Pool {
    data: Vec<[u8; 16]>,
}

impl Pool {
    fn offset(&mut self, bytes: [u8; 16]) -> i32 {
        self.data.push(bytes);
        (16 * (self.data.len() - 1)) as i32
    }
}

/// Declare and define one function of `params` i64 parameters (the first
/// the pointer array) and no result.
fn define(
    module: &mut JITModule,
    spec: &Spec,
    pool: &mut Pool,
    name: &str,
    params: usize,
    body: impl FnOnce(&mut Gen, &[Value]),
) -> Result<FuncId, String> {
    let mut sig = module.make_signature();
    sig.params
        .extend((0..params).map(|_| AbiParam::new(types::I64)));
    let id = module
        .declare_function(name, Linkage::Local, &sig)
        .map_err(|e| format!("cranelift: {e}"))?;
    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let args = b.block_params(entry).to_vec();
        let k = spec.layers.len();
        let cpool = b.ins().load(
            types::I64,
            table_flags(),
            args[0],
            (8 * slot_pool(k)) as i32,
        );
        let opaque_zero =
            b.ins()
                .load(types::I64, data_flags(), args[0], (8 * slot_zero(k)) as i32);
        let slot =
            b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 4));
        let scratch = b.ins().stack_addr(types::I64, slot, 0);
        let mut g = Gen {
            spec,
            b: &mut b,
            pool,
            cpool,
            opaque_zero,
            scratch,
        };
        body(&mut g, &args);
        b.seal_all_blocks();
        b.finalize(module.target_config());
    }
    module
        .define_function(id, &mut ctx)
        .map_err(|e| format!("cranelift ({name}): {e:?}"))?;
    module.clear_context(&mut ctx);
    Ok(id)
}

/// Layer tokens of a step: one per lane, one i32 vector per group (the
/// valid lanes as in a code vector), or one shared by all lanes (the
/// expand kernel's layer 0, with its parameters already splatted).
enum Tok {
    Lanes(Vec<Value>),
    Vector(Vec<Value>),
    Uniform { x: Value, params: Vec<LaneParams> },
}

/// One component's (a_re, a_im) and bias vectors.
type LaneParams = ((Value, Value), Option<(Value, Value)>);

/// One layer's state vectors: `[group][component] = (re, im)`.
type LayerState = Vec<Vec<(Value, Value)>>;

/// Table pointers loaded at function entry.
struct Tables {
    params: Vec<Value>,
    bias: Vec<Value>,
    cocycle: Vec<Value>,
    readout: Value,
}

// atan(t) = t + t·z·P(z), z = t², t in [0, 1]: near-minimax fits of the
// relative error (f32: 1.7e-8, f64: 2.8e-17 before rounding), far below
// the spacing π/n of any decision the decoder makes.
const ATAN_F32: [f64; 8] = [
    -0.333331527216449,
    0.19993772488057318,
    -0.14211052413583686,
    0.10665993049893657,
    -0.07552189279366896,
    0.043211563153405325,
    -0.016367743921642346,
    0.002920646045511085,
];
const ATAN_F64: [f64; 19] = [
    -0.3333333333333186,
    0.19999999999754997,
    -0.14285714271333622,
    0.11111110678717791,
    -0.09090901234896077,
    0.07692212925298227,
    -0.06665860324715217,
    0.05877307567648914,
    -0.05239232199761179,
    0.04673947216253199,
    -0.04092632754138695,
    0.03406771478734067,
    -0.025826667216800155,
    0.01697790326812646,
    -0.009184458029519723,
    0.0038559191394226533,
    -0.0011640507860006357,
    0.00022301758350405052,
    -2.0258043589789704e-05,
];

struct Gen<'s, 'b, 'f, 'p> {
    spec: &'s Spec,
    b: &'b mut FunctionBuilder<'f>,
    pool: &'p mut Pool,
    /// Address of the constant pool, as seen by the current loop.
    cpool: Value,
    /// 0 at run time, unknown to the optimiser.
    opaque_zero: Value,
    /// 16 bytes of stack for moving vector lanes to scalars.
    scratch: Value,
}

impl<'f> Gen<'_, '_, 'f, '_> {
    fn float(&self) -> Float {
        self.spec.float
    }

    fn iconst(&mut self, x: i64) -> Value {
        self.b.ins().iconst(types::I64, x)
    }

    fn constant(&mut self, ty: Type, bytes: [u8; 16]) -> Value {
        let off = self.pool.offset(bytes);
        self.b.ins().load(ty, table_flags(), self.cpool, off)
    }

    /// Float vector with every lane `x` (rounded to the float type).
    fn vf(&mut self, x: f64) -> Value {
        let f = self.float();
        let bytes = match f {
            Float::F32 => splat_bytes(&(x as f32).to_le_bytes()),
            Float::F64 => splat_bytes(&x.to_le_bytes()),
        };
        self.constant(f.vector(), bytes)
    }

    /// Integer vector (float lane layout) with every lane `bits`.
    fn vbits(&mut self, bits: u64) -> Value {
        let f = self.float();
        let bytes = match f {
            Float::F32 => splat_bytes(&(bits as u32).to_le_bytes()),
            Float::F64 => splat_bytes(&bits.to_le_bytes()),
        };
        self.constant(f.ivector(), bytes)
    }

    fn vi32(&mut self, x: u32) -> Value {
        self.constant(types::I32X4, splat_bytes(&x.to_le_bytes()))
    }

    fn load_tables(&mut self, ptrs: Value) -> Tables {
        let k = self.spec.layers.len();
        let load = |g: &mut Self, slot: usize| {
            g.b.ins()
                .load(types::I64, table_flags(), ptrs, (8 * slot) as i32)
        };
        let mut t = Tables {
            params: Vec::with_capacity(k),
            bias: Vec::with_capacity(k),
            cocycle: Vec::with_capacity(k),
            readout: load(self, slot_readout(k)),
        };
        for i in 0..k {
            t.params.push(load(self, slot_params(i)));
            t.bias.push(load(self, slot_bias(i)));
            t.cocycle.push(load(self, slot_cocycle(i)));
        }
        t
    }

    /// Gather one component's (re, im) pair for each lane from rows at
    /// `rows` (one address per lane), at byte offset `off` within a row: one
    /// load per lane of the interleaved pair, then shuffles into a re and an
    /// im vector.
    fn gather(&mut self, rows: &[Value], off: i32) -> (Value, Value) {
        let shuf = |b: &mut FunctionBuilder<'f>, x: Value, y: Value, mask: [u8; 16]| {
            let imm = b
                .func
                .dfg
                .immediates
                .push(ConstantData::from(mask.to_vec()));
            let (x, y) = (bc(b, types::I8X16, x), bc(b, types::I8X16, y));
            b.ins().shuffle(x, y, imm)
        };
        const LO: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
        const HI: [u8; 16] = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];
        match self.float() {
            Float::F32 => {
                // A 16-byte load holds the (re, im) pair in its low half (the
                // tables have 16 bytes of padding for the last pair).
                let p: Vec<Value> = rows
                    .iter()
                    .map(|&r| self.b.ins().load(types::F64X2, block_ro_flags(), r, off))
                    .collect();
                let lo = shuf(self.b, p[0], p[1], LO);
                let hi = shuf(self.b, p[2], p[3], LO);
                let re = shuf(
                    self.b,
                    lo,
                    hi,
                    [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27],
                );
                let im = shuf(
                    self.b,
                    lo,
                    hi,
                    [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31],
                );
                (bc(self.b, types::F32X4, re), bc(self.b, types::F32X4, im))
            }
            Float::F64 => {
                let p: Vec<Value> = rows
                    .iter()
                    .map(|&r| self.b.ins().load(types::F64X2, block_ro_flags(), r, off))
                    .collect();
                let re = shuf(self.b, p[0], p[1], LO);
                let im = shuf(self.b, p[0], p[1], HI);
                (bc(self.b, types::F64X2, re), bc(self.b, types::F64X2, im))
            }
        }
    }

    /// The valid i32 lanes of `v` (4 for f32, 2 for f64) as i64 scalars,
    /// through memory: cheaper than one lane extraction per lane.
    fn lanes_of(&mut self, v: Value) -> Vec<Value> {
        let w = self.float().width();
        let sp = self.scratch;
        self.b.ins().store(data_flags(), v, sp, 0);
        (0..w)
            .map(|l| self.b.ins().uload32(data_flags(), sp, (4 * l) as i32))
            .collect()
    }

    /// Whether layer `i`'s a and b tables are looked up in registers.
    fn small_params(&self, i: usize) -> bool {
        self.spec.layers[i].num_tokens * self.float().size() <= LUT_BYTES
    }

    /// Per token vector: the byte indices that pick a float entry per lane
    /// (byte b of a lane is size·v + b).
    fn float_byte_index(&mut self, v: Value) -> Value {
        let size = self.float().size();
        let sh = self.b.ins().ishl_imm_u(v, size.trailing_zeros() as i64);
        // Byte 0 of the valid i32 lanes (4 for f32, the low 2 for f64)
        // spread over each float lane.
        let mask: Vec<u8> = (0..16).map(|b| (4 * (b / size)) as u8).collect();
        let imm = self.b.func.dfg.immediates.push(ConstantData::from(mask));
        let x = bc(self.b, types::I8X16, sh);
        let spread = self.b.ins().shuffle(x, x, imm);
        let offs: [u8; 16] = std::array::from_fn(|b| (b % size) as u8);
        let o = self.constant(types::I8X16, offs);
        self.b.ins().iadd(spread, o)
    }

    /// `bytes[bidx]` per byte lane, for indices below the table's length,
    /// and 0 for those with the top bit set: one shuffle per 16 bytes of
    /// table (at most [`LUT_BYTES`]).
    fn lut_bytes(&mut self, bidx: Value, bytes: &[u8]) -> Value {
        if cfg!(target_arch = "x86_64") {
            return self.lut_bytes_x86(bidx, bytes);
        }
        let mut acc: Option<Value> = None;
        for (k, chunk) in bytes.chunks(16).enumerate() {
            let mut c = [0u8; 16];
            c[..chunk.len()].copy_from_slice(chunk);
            let table = self.constant(types::I8X16, c);
            // Indices below this chunk wrap to ≥ 192 (callers keep unused
            // bytes at ≥ 0xF0), above it stay ≥ 16: both select 0.
            let idx = if k == 0 {
                bidx
            } else {
                let d = self.constant(types::I8X16, [(16 * k) as u8; 16]);
                self.b.ins().isub(bidx, d)
            };
            let r = self.b.ins().swizzle(table, idx);
            acc = Some(match acc {
                None => r,
                Some(a) => self.b.ins().bor(a, r),
            });
        }
        acc.unwrap_or_else(|| self.constant(types::I8X16, [0; 16]))
    }

    /// [`Gen::lut_bytes`] with x86's byte shuffle, which reads an index's
    /// low four bits and gives 0 for one with the top bit set: every chunk
    /// is shuffled by the same indices, then bits 4 and 5 pick the chunk
    /// (blends on those bits moved to the top), with no clamping of
    /// indices ≥ 16 as `swizzle` needs. Indices are below the table's
    /// length or have the top bit set.
    fn lut_bytes_x86(&mut self, bidx: Value, bytes: &[u8]) -> Value {
        let mut level: Vec<Value> = bytes
            .chunks(16)
            .map(|chunk| {
                let mut c = [0u8; 16];
                c[..chunk.len()].copy_from_slice(chunk);
                let table = self.constant(types::I8X16, c);
                self.b.ins().x86_pshufb(table, bidx)
            })
            .collect();
        let mut bit = 4;
        while level.len() > 1 {
            // Shifting 16-bit lanes moves each byte's bit to its top; what
            // crosses from the byte below lands in low bits blendv ignores.
            let w = bc(self.b, types::I16X8, bidx);
            let m = self.b.ins().ishl_imm_u(w, 7 - bit);
            let m = bc(self.b, types::I8X16, m);
            level = level
                .chunks(2)
                .map(|p| match *p {
                    [lo, hi] => self.b.ins().blendv(m, hi, lo),
                    // No index of an unpaired last chunk has this bit set.
                    _ => p[0],
                })
                .collect();
            bit += 1;
        }
        level
            .pop()
            .unwrap_or_else(|| self.constant(types::I8X16, [0; 16]))
    }

    /// `entries[v]` per lane as a float vector, from byte indices of
    /// [`Gen::float_byte_index`].
    fn lut_float(&mut self, bidx: Value, entries: &[f64]) -> Value {
        let f = self.float();
        let bytes: Vec<u8> = entries
            .iter()
            .flat_map(|&x| match f {
                Float::F32 => (x as f32).to_le_bytes().to_vec(),
                Float::F64 => x.to_le_bytes().to_vec(),
            })
            .collect();
        let r = self.lut_bytes(bidx, &bytes);
        bc(self.b, f.vector(), r)
    }

    /// `table[idx]` per i32 lane, for a table that [`small_u8`] accepts and
    /// indices in range.
    fn lut_u8(&mut self, idx: Value, table: &[u32]) -> Value {
        // The upper three bytes of each lane select 0 (from every chunk:
        // see `lut_bytes`).
        let hi = self.constant(types::I8X16, splat_bytes(&[0, 0xF0, 0xF0, 0xF0]));
        let x = bc(self.b, types::I8X16, idx);
        let bidx = self.b.ins().bor(x, hi);
        let bytes: Vec<u8> = table.iter().map(|&x| x as u8).collect();
        let r = self.lut_bytes(bidx, &bytes);
        bc(self.b, types::I32X4, r)
    }

    /// One i32 vector per group from per-lane i64 scalars.
    fn vectors_of(&mut self, lanes: &[Value]) -> Vec<Value> {
        let w = self.float().width();
        lanes
            .chunks(w)
            .map(|c| {
                let mut v = self.constant(types::I32X4, [0; 16]);
                for (l, &x) in c.iter().enumerate() {
                    let x = self.b.ins().ireduce(types::I32, x);
                    v = self.b.ins().insertlane(v, x, l as u8);
                }
                v
            })
            .collect()
    }

    /// Per-lane i64 scalars of token vectors.
    fn lanes_of_all(&mut self, vs: &[Value]) -> Vec<Value> {
        vs.iter().flat_map(|&v| self.lanes_of(v)).collect()
    }

    /// Splatted (re, im) pair at `row + off`.
    fn splat_pair(&mut self, row: Value, off: i32) -> (Value, Value) {
        let f = self.float();
        let re = self.b.ins().load(f.scalar(), table_flags(), row, off);
        let im = self
            .b
            .ins()
            .load(f.scalar(), table_flags(), row, off + f.size() as i32);
        (
            self.b.ins().splat(f.vector(), re),
            self.b.ins().splat(f.vector(), im),
        )
    }

    /// Layer 0's parameters for token `x`, shared by all lanes.
    fn uniform_params(&mut self, t: &Tables, x: Value) -> Vec<LaneParams> {
        let Some(l) = self.spec.layers.first() else {
            return Vec::new();
        };
        let (width, bias) = (l.moduli.len(), l.bias);
        let pair = 2 * self.float().size();
        let off = self.b.ins().imul_imm_s(x, (width * pair) as i64);
        let row = self.b.ins().iadd(t.params[0], off);
        let brow = self.b.ins().iadd(t.bias[0], off);
        (0..width)
            .map(|j| {
                let a = self.splat_pair(row, (j * pair) as i32);
                let b = match bias {
                    Bias::Table => Some(self.splat_pair(brow, (j * pair) as i32)),
                    Bias::PlusZero => {
                        let z = self.splat_f(0.0);
                        Some((z, z))
                    }
                    Bias::MinusZero => None,
                };
                (a, b)
            })
            .collect()
    }

    fn map1(
        &mut self,
        xs: &[Value],
        mut f: impl FnMut(&mut FunctionBuilder<'f>, Value) -> Value,
    ) -> Vec<Value> {
        xs.iter().map(|&x| f(self.b, x)).collect()
    }
    fn map2(
        &mut self,
        xs: &[Value],
        ys: &[Value],
        mut f: impl FnMut(&mut FunctionBuilder<'f>, Value, Value) -> Value,
    ) -> Vec<Value> {
        xs.iter().zip(ys).map(|(&x, &y)| f(self.b, x, y)).collect()
    }
    fn map3(
        &mut self,
        xs: &[Value],
        ys: &[Value],
        zs: &[Value],
        mut f: impl FnMut(&mut FunctionBuilder<'f>, Value, Value, Value) -> Value,
    ) -> Vec<Value> {
        xs.iter()
            .zip(ys)
            .zip(zs)
            .map(|((&x, &y), &z)| f(self.b, x, y, z))
            .collect()
    }

    /// c[0] + c[1]·z + c[2]·z² + … for each vector of `z`, by Estrin's
    /// scheme (shorter dependency chains than Horner's, same work).
    fn poly(&mut self, coef: &[f64], z: &[Value]) -> Vec<Value> {
        let mut terms: Vec<Vec<Value>> = Vec::new();
        for pair in coef.chunks(2) {
            let c0 = self.vf(pair[0]);
            terms.push(match pair.get(1) {
                Some(&c1) => {
                    let c1 = self.vf(c1);
                    self.map1(z, |b, z| {
                        let m = b.ins().fmul(z, c1);
                        b.ins().fadd(m, c0)
                    })
                }
                None => vec![c0; z.len()],
            });
        }
        let mut zp = z.to_vec();
        while terms.len() > 1 {
            zp = self.map1(&zp, |b, x| b.ins().fmul(x, x));
            let mut next = Vec::with_capacity(terms.len().div_ceil(2));
            for p in terms.chunks(2) {
                next.push(match p {
                    [a, c] => self.map3(a, c, &zp, |b, a, c, zz| {
                        let m = b.ins().fmul(c, zz);
                        b.ins().fadd(m, a)
                    }),
                    _ => p[0].clone(),
                });
            }
            terms = next;
        }
        terms.pop().unwrap_or_default()
    }

    /// The octant reduction shared by both phase decoders: per group, the
    /// mask |re| < |im| and max(|re|, |im|), min(|re|, |im|).
    fn octant(&mut self, re: &[Value], im: &[Value]) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
        let f = self.float();
        let (vt, it) = (f.vector(), f.ivector());
        let absm = self.vbits(!f.sign_bits());
        let abs = |b: &mut FunctionBuilder<'f>, x: Value| {
            let xb = bc(b, it, x);
            let a = b.ins().band(xb, absm);
            bc(b, vt, a)
        };
        let ax = self.map1(re, abs);
        let ay = self.map1(im, abs);
        let swap = self.map2(&ax, &ay, |b, x, y| b.ins().fcmp(FloatCC::LessThan, x, y));
        let mx = self.map3(&swap, &ay, &ax, |b, m, x, y| sel(b, vt, m, x, y));
        let mn = self.map3(&swap, &ax, &ay, |b, m, x, y| sel(b, vt, m, x, y));
        (swap, mx, mn)
    }

    /// The state code digit of one component, for each vector group:
    /// round(arg(h)·n/2π) mod n as i32 lanes (the low two for f64), in 0..n
    /// by construction. The groups go through each stage together, so each
    /// constant is loaded once for all of them.
    fn digits(&mut self, re: &[Value], im: &[Value], n: u32) -> Vec<Value> {
        let f = self.float();
        let (vt, it) = (f.vector(), f.ivector());
        let nf = n as f64;
        // Octant reduction: t = min/max in [0, 1].
        let (swap, mx, mn) = self.octant(re, im);
        // h = 0 gives t = 0 (atan2(±0, ±0) is 0 or π by the signs), not 0/0.
        let (zero, one) = (self.vf(0.0), self.vf(1.0));
        let mx = self.map1(&mx, |b, x| {
            let e = b.ins().fcmp(FloatCC::Equal, x, zero);
            sel(b, vt, e, one, x)
        });
        let t = self.map2(&mn, &mx, |b, x, y| b.ins().fdiv(x, y));
        // atan(t)/t − 1 = z·P(z) is below the float's resolution for tiny t,
        // so it is evaluated at t ≥ 2^-14 (f32) / 2^-30 (f64): powers of
        // smaller z would be subnormal, which costs a microcode assist per
        // operation on some processors.
        let (floor, coef): (f64, &[f64]) = match f {
            Float::F32 => (2f64.powi(-14), &ATAN_F32),
            Float::F64 => (2f64.powi(-30), &ATAN_F64),
        };
        let lo = self.vf(floor);
        let z = self.map1(&t, |b, x| {
            let small = b.ins().fcmp(FloatCC::LessThan, x, lo);
            let tp = sel(b, vt, small, lo, x);
            b.ins().fmul(tp, tp)
        });
        let p = self.poly(coef, &z);
        // In units of 2π/n: y = atan(t)·n/2π = u + u·z·P(z), u = t·n/2π.
        let s = self.vf(nf / std::f64::consts::TAU);
        let y = self.map3(&p, &z, &t, |b, p, z, t| {
            let r = b.ins().fmul(p, z);
            let u = b.ins().fmul(t, s);
            let ur = b.ins().fmul(u, r);
            b.ins().fadd(u, ur)
        });
        // Undo the reduction into [0, n]: swapped → n/4 − y, re < 0 →
        // n/2 − y, im < 0 → n − y.
        let c = self.vf(nf / 4.0);
        let y = self.map2(&y, &swap, |b, y, m| {
            let yc = b.ins().fsub(c, y);
            sel(b, vt, m, yc, y)
        });
        let zi = self.constant(it, [0; 16]);
        let c = self.vf(nf / 2.0);
        let y = self.map2(&y, re, |b, y, r| {
            let yc = b.ins().fsub(c, y);
            sel_sign(b, f, zi, r, yc, y)
        });
        let c = self.vf(nf);
        let y = self.map2(&y, im, |b, y, r| {
            let yc = b.ins().fsub(c, y);
            sel_sign(b, f, zi, r, yc, y)
        });
        // NaN → 0, like the reference's saturating cast.
        let y = self.map1(&y, |b, y| {
            let ok = b.ins().fcmp(FloatCC::Equal, y, y);
            let yb = bc(b, it, y);
            let r = b.ins().band(yb, ok);
            bc(b, vt, r)
        });
        let k = self.round(&y, n);
        // k in 0..=n: n is digit 0; the clamp makes 0..n hold whatever the
        // float state was.
        let (nv, top) = (self.vi32(n), self.vi32(n - 1));
        self.map1(&k, |b, k| {
            let isn = b.ins().icmp(IntCC::Equal, k, nv);
            let k = b.ins().band_not(k, isn);
            b.ins().umin(k, top)
        })
    }

    /// Like [`Gen::digits`] for small n, by half-plane tests instead of an
    /// arctangent: digit = number of decision boundaries β_k = (2k+1)π/n
    /// (k < n) at or below arg(h) in [0, 2π), mod n. In the upper half plane
    /// that is the number of β < π with cross(e^{iβ}, h) > 0; in the lower
    /// half, all β ≤ π plus the β in (π, 2π) with cross(e^{i(β−π)}, h) < 0.
    /// Each test compares cos β·im with sin β·re, as exact as the
    /// arctangent's decision up to rounding of the two products.
    fn sector_digits(&mut self, re: &[Value], im: &[Value], n: u32) -> Vec<Value> {
        use std::f64::consts::PI;
        let f = self.float();
        let it = f.ivector();
        let beta = |k: u32| (2 * k + 1) as f64 * PI / n as f64;
        // β = π (odd n) sits on the axis: never crossed in the upper half,
        // always in the lower.
        let upper: Vec<f64> = (0..n).map(beta).filter(|&b| b < PI - 1e-9).collect();
        let below_pi = (0..n).map(beta).filter(|&b| b < PI + 1e-9).count() as u32;
        let lower: Vec<f64> = (0..n)
            .map(beta)
            .filter(|&b| b > PI + 1e-9)
            .map(|b| b - PI)
            .collect();
        // Both sides of cos β·im vs sin β·re per distinct angle.
        let mut angles: Vec<f64> = upper.iter().chain(&lower).copied().collect();
        angles.sort_by(f64::total_cmp);
        angles.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        let zero = self.vf(0.0);
        let lower_mask = self.map1(im, |b, y| b.ins().fcmp(FloatCC::LessThan, y, zero));
        let zi = self.constant(it, [0; 16]);
        let mut up = vec![zi; re.len()];
        let mut lo = up.clone();
        // Products by the same float constant (sin β = sin(π − β)) are the
        // same bits: computed once.
        let mut products: Vec<(bool, u64, Vec<Value>)> = Vec::new();
        let mut times = |g: &mut Self, xs: &[Value], is_re: bool, c: f64| -> Vec<Value> {
            if c == 1.0 {
                return xs.to_vec();
            }
            let bits = match f {
                Float::F32 => (c as f32).to_bits() as u64,
                Float::F64 => c.to_bits(),
            };
            if let Some((_, _, p)) = products.iter().find(|(r, b, _)| *r == is_re && *b == bits) {
                return p.clone();
            }
            let cv = g.vf(c);
            let p = g.map1(xs, |b, x| b.ins().fmul(x, cv));
            products.push((is_re, bits, p.clone()));
            p
        };
        for &a in &angles {
            let (c, s) = (snap(a.cos()), snap(a.sin()));
            let lhs = times(self, im, false, c);
            let rhs = times(self, re, true, s);
            let near = |list: &[f64]| list.iter().any(|&x| (x - a).abs() < 1e-9);
            if near(&upper) {
                let m = self.map2(&lhs, &rhs, |b, l, r| {
                    b.ins().fcmp(FloatCC::GreaterThan, l, r)
                });
                up = self.map2(&up, &m, |b, acc, m| b.ins().isub(acc, m));
            }
            if near(&lower) {
                let m = self.map2(&lhs, &rhs, |b, l, r| b.ins().fcmp(FloatCC::LessThan, l, r));
                lo = self.map2(&lo, &m, |b, acc, m| b.ins().isub(acc, m));
            }
        }
        let base = self.vbits(below_pi as u64);
        let lo = self.map1(&lo, |b, x| b.ins().iadd(x, base));
        let q = self.map3(&lower_mask, &lo, &up, |b, m, x, y| {
            b.ins().bitselect(m, x, y)
        });
        let q = self.low_i32_lanes(q);
        // q ≤ n: the upper count is below n and the lower one at most n, so
        // only n itself (the top of the circle) wraps.
        let nv = self.vi32(n);
        self.map1(&q, |b, k| {
            let isn = b.ins().icmp(IntCC::Equal, k, nv);
            b.ins().band_not(k, isn)
        })
    }

    /// A component's digit per vector, by the cheapest rule for its kind
    /// and modulus.
    fn component_digits(&mut self, c: Coord, re: &[Value], im: &[Value], n: u32) -> Vec<Value> {
        match c {
            Coord::Register => self.register_digits(re),
            Coord::Phase if n == 2 => self.halves_digits(re, im),
            Coord::Phase if n <= SECTOR_MAX => self.sector_digits(re, im, n),
            Coord::Phase if n.is_multiple_of(4) && n <= OCTANT_MAX => self.octant_digits(re, im, n),
            Coord::Phase => self.digits(re, im, n),
        }
    }

    /// [`Gen::sector_digits`] for n = 2, whose one boundary pair (π/2,
    /// 3π/2) leaves one comparison per half plane: with l = 0·im (cos π/2
    /// snaps to 0), the digit is [l > re] in the upper half and
    /// [not l < re] in the lower (a count of 2 there wraps to 0), the
    /// same decisions as the general count, NaN and signed zeros included.
    fn halves_digits(&mut self, re: &[Value], im: &[Value]) -> Vec<Value> {
        let zero = self.vf(0.0);
        let lhs = self.map1(im, |b, y| b.ins().fmul(y, zero));
        let lower = self.map1(im, |b, y| b.ins().fcmp(FloatCC::LessThan, y, zero));
        let up = self.map2(&lhs, re, |b, l, r| b.ins().fcmp(FloatCC::GreaterThan, l, r));
        let lo = self.map2(&lhs, re, |b, l, r| {
            b.ins().fcmp(FloatCC::UnorderedOrGreaterThanOrEqual, l, r)
        });
        let q = self.map3(&lower, &lo, &up, |b, m, x, y| b.ins().bitselect(m, x, y));
        let q = self.low_i32_lanes(q);
        let one = self.vi32(1);
        self.map1(&q, |b, k| b.ins().band(k, one))
    }

    /// Like [`Gen::digits`] for n divisible by 4, by comparisons instead of
    /// an arctangent. The state is reduced to the first octant as there:
    /// t = min/max of |re|, |im|, φ = atan t ∈ [0, π/4]. The digit of φ
    /// there, round(φ·n/2π), is the number of boundaries (2k+1)π/n ≤ φ,
    /// i.e. of thresholds tan((2k+1)π/n) ≤ t (k < n/8). The reflections
    /// that undo the reduction (φ → π/2 − φ, θ → π − θ, θ → 2π − θ) map
    /// boundaries to boundaries when 4 divides n, so they act on the digit
    /// as on the angle: r → n/4 − r, n/2 − r, n − r.
    ///
    /// A decision differs from the reference's (round(atan2·n/2π) with
    /// libm's atan2) only where the two roundings of t and of the threshold
    /// disagree with atan2's, i.e. within a few ulps of a boundary (an odd
    /// multiple of π/n): far from every state of a model with unit-modulus
    /// rotations, whose states stay within the proved error of a lattice
    /// point (a multiple of 2π/n, half a spacing from any boundary). Zero
    /// states decode as atan2's signed zeros do, NaN to 0.
    fn octant_digits(&mut self, re: &[Value], im: &[Value], n: u32) -> Vec<Value> {
        let f = self.float();
        let it = f.ivector();
        let (swap, mx, mn) = self.octant(re, im);
        // 0/0 (a zero state) is NaN and passes no threshold.
        let t = self.map2(&mn, &mx, |b, x, y| b.ins().fdiv(x, y));
        let zi = self.constant(it, [0; 16]);
        let mut r = vec![zi; re.len()];
        let nf = n as f64;
        for k in 0.. {
            let phi = (2 * k + 1) as f64 * std::f64::consts::PI / nf;
            // The boundary at exactly π/4 (8 | n) is t = 1, the diagonal,
            // where the reflection below decides.
            if phi >= std::f64::consts::FRAC_PI_4 - 1e-12 {
                break;
            }
            let th = self.vf(phi.tan());
            let m = self.map1(&t, |b, x| b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, th));
            r = self.map2(&r, &m, |b, acc, m| b.ins().isub(acc, m));
        }
        let bits = (8 * f.size() - 1) as i64;
        // `mask ? c − d : d` as (d ^ mask) − mask + (c & mask).
        let reflect = |g: &mut Self, d: &[Value], masks: &[Value], c: u32| -> Vec<Value> {
            let cv = g.vbits(c as u64);
            g.map2(d, masks, |b, d, m| {
                let m = bc(b, it, m);
                let x = b.ins().bxor(d, m);
                let x = b.ins().isub(x, m);
                let cm = b.ins().band(cv, m);
                b.ins().iadd(x, cm)
            })
        };
        let r = reflect(self, &r, &swap, n / 4);
        // Sign bits, -0.0 included, as atan2 reads them.
        let sign = |b: &mut FunctionBuilder<'f>, x: Value| {
            let xb = bc(b, it, x);
            b.ins().sshr_imm_u(xb, bits)
        };
        let neg_re = self.map1(re, sign);
        let r = reflect(self, &r, &neg_re, n / 2);
        let neg_im = self.map1(im, sign);
        let r = reflect(self, &r, &neg_im, n);
        // NaN → 0, like the reference's saturating cast.
        let r = self.map3(&r, re, im, |b, d, x, y| {
            let ok = b.ins().fcmp(FloatCC::Ordered, x, y);
            let ok = bc(b, it, ok);
            b.ins().band(d, ok)
        });
        let q = self.low_i32_lanes(r);
        let (nv, top) = (self.vi32(n), self.vi32(n - 1));
        self.map1(&q, |b, k| {
            let isn = b.ins().icmp(IntCC::Equal, k, nv);
            let k = b.ins().band_not(k, isn);
            b.ins().umin(k, top)
        })
    }

    /// A register component's digit for each vector group: how many of
    /// [`REGISTER_THRESHOLDS`] are ≤ re h, as i32 lanes (the low two for
    /// f64), in 0..4. NaN passes no threshold and decodes to 0, as in the
    /// reference.
    fn register_digits(&mut self, re: &[Value]) -> Vec<Value> {
        let f = self.float();
        let zi = self.constant(f.ivector(), [0; 16]);
        let mut q = vec![zi; re.len()];
        for &th in &REGISTER_THRESHOLDS {
            let tv = self.vf(th);
            // A passed threshold is an all-ones lane: subtracting counts it.
            let m = self.map1(re, |b, x| b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, tv));
            q = self.map2(&q, &m, |b, acc, m| b.ins().isub(acc, m));
        }
        self.low_i32_lanes(q)
    }

    /// Integer vectors in the float lane layout as i32x4 whose valid lanes
    /// (4 for f32, the low 2 for f64) hold the values.
    fn low_i32_lanes(&mut self, q: Vec<Value>) -> Vec<Value> {
        match self.float() {
            Float::F32 => q,
            Float::F64 => {
                let mask = self.b.func.dfg.immediates.push(ConstantData::from(vec![
                    0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11,
                ]));
                self.map1(&q, |b, k| {
                    let k = bc(b, types::I8X16, k);
                    let k = b.ins().shuffle(k, k, mask);
                    bc(b, types::I32X4, k)
                })
            }
        }
    }

    /// Nearest integers of each `y` in [0, n] (non-negative, no NaN) as
    /// i32x4.
    fn round(&mut self, y: &[Value], n: u32) -> Vec<Value> {
        match self.float() {
            // Adding 1.5·2^23 leaves round-to-nearest(y) in the low mantissa
            // bits, for |y| < 2^22.
            Float::F32 if n < 1 << 22 => {
                let m = self.vf(12_582_912.0);
                let mb = self.vi32(12_582_912f32.to_bits());
                self.map1(y, |b, y| {
                    let s = b.ins().fadd(y, m);
                    let sb = bc(b, types::I32X4, s);
                    b.ins().isub(sb, mb)
                })
            }
            Float::F32 => self.map1(y, |b, y| {
                let k = b.ins().nearest(y);
                b.ins().fcvt_to_sint_sat(types::I32X4, k)
            }),
            // 1.5·2^52 likewise for f64 (n < 2^31 ≪ 2^51), then the low
            // halves of the i64 lanes to i32 lanes 0 and 1.
            Float::F64 => {
                const M: f64 = 6_755_399_441_055_744.0;
                let m = self.vf(M);
                let mb = self.vbits(M.to_bits());
                let mask = self.b.func.dfg.immediates.push(ConstantData::from(vec![
                    0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11,
                ]));
                self.map1(y, |b, y| {
                    let s = b.ins().fadd(y, m);
                    let sb = bc(b, types::I64X2, s);
                    let k = b.ins().isub(sb, mb);
                    let k = bc(b, types::I8X16, k);
                    let k = b.ins().shuffle(k, k, mask);
                    bc(b, types::I32X4, k)
                })
            }
        }
    }

    /// One step of layer `i` for every lane: updates `h`, returns the state
    /// code of each vector group (i32 lanes).
    fn layer(&mut self, t: &Tables, i: usize, h: &mut LayerState, v: &Tok) -> Vec<Value> {
        let f = self.float();
        let (w, groups) = (f.width(), self.spec.groups);
        let pair = 2 * f.size();
        let l = &self.spec.layers[i];
        let (width, bias) = (l.moduli.len(), l.bias);
        let moduli = l.moduli.clone();
        let coords = l.coords.clone();
        let rowbytes = (width * pair) as i64;
        let spec = self.spec;
        let ltab = &spec.layers[i];
        let vcount = ltab.num_tokens;
        // Vector tokens index small tables in registers; large ones are
        // gathered lane by lane.
        let small = self.small_params(i);
        let lanes_tok;
        let v = match v {
            Tok::Vector(vs) if !small => {
                lanes_tok = Tok::Lanes(self.lanes_of_all(vs));
                &lanes_tok
            }
            other => other,
        };
        let bidx: Option<Vec<Value>> = match v {
            Tok::Vector(vs) => Some(vs.iter().map(|&x| self.float_byte_index(x)).collect()),
            _ => None,
        };
        // Per-lane row addresses of this layer's token parameters.
        let rows: Option<(Vec<Value>, Vec<Value>)> = match v {
            Tok::Lanes(v) => {
                let offs: Vec<Value> = v
                    .iter()
                    .map(|&x| self.b.ins().imul_imm_s(x, rowbytes))
                    .collect();
                let a = offs
                    .iter()
                    .map(|&o| self.b.ins().iadd(t.params[i], o))
                    .collect();
                let b = if bias == Bias::Table {
                    offs.iter()
                        .map(|&o| self.b.ins().iadd(t.bias[i], o))
                        .collect()
                } else {
                    Vec::new()
                };
                Some((a, b))
            }
            Tok::Uniform { .. } | Tok::Vector(_) => None,
        };
        let mut digits: Vec<Vec<Value>> = Vec::with_capacity(width);
        for (j, &n) in moduli.iter().enumerate() {
            let off = (j * pair) as i32;
            let plus_zero = match bias {
                Bias::PlusZero => Some(self.vf(0.0)),
                _ => None,
            };
            let (mut res, mut ims) = (Vec::with_capacity(groups), Vec::with_capacity(groups));
            for (g, hg) in h.iter_mut().enumerate() {
                let ((ar, ai), bv) = match (&rows, v) {
                    (None, Tok::Vector(_)) => {
                        let bi = bidx.as_ref().map_or(self.opaque_zero, |b| b[g]);
                        let col = |t: &[(f64, f64)], re: bool| -> Vec<f64> {
                            (0..vcount)
                                .map(|x| t[x * width + j])
                                .map(|(r, m)| if re { r } else { m })
                                .collect()
                        };
                        let av = (
                            self.lut_float(bi, &col(&ltab.a, true)),
                            self.lut_float(bi, &col(&ltab.a, false)),
                        );
                        let bv = match bias {
                            Bias::Table => Some((
                                self.lut_float(bi, &col(&ltab.b, true)),
                                self.lut_float(bi, &col(&ltab.b, false)),
                            )),
                            Bias::PlusZero => plus_zero.map(|z| (z, z)),
                            Bias::MinusZero => None,
                        };
                        (av, bv)
                    }
                    (Some((a, b)), _) => {
                        let av = self.gather(&a[g * w..(g + 1) * w], off);
                        let bv = match bias {
                            Bias::Table => Some(self.gather(&b[g * w..(g + 1) * w], off)),
                            Bias::PlusZero => plus_zero.map(|z| (z, z)),
                            Bias::MinusZero => None,
                        };
                        (av, bv)
                    }
                    (None, Tok::Uniform { params, .. }) => params[j],
                    (None, Tok::Lanes(_)) => unreachable!("lane tokens always give rows"),
                };
                let (hr, hi) = hg[j];
                let (mut re, mut im) = self.cmul((ar, ai), (hr, hi));
                if let Some((br, bi)) = bv {
                    re = self.b.ins().fadd(re, br);
                    im = self.b.ins().fadd(im, bi);
                }
                hg[j] = (re, im);
                res.push(re);
                ims.push(im);
            }
            digits.push(self.component_digits(coords[j], &res, &ims, n));
        }
        // Mixed radix, component 0 least significant.
        let mut code = digits[width - 1].clone();
        for j in (0..width - 1).rev() {
            code = code
                .iter()
                .zip(&digits[j])
                .map(|(&c, &d)| {
                    let m = self.mul_imm(c, moduli[j]);
                    self.b.ins().iadd(m, d)
                })
                .collect();
        }
        code
    }

    /// Next layer's tokens: cocycle_i[code·V_i + v], as vectors when the
    /// cocycle is looked up in registers.
    fn next_tok(&mut self, t: &Tables, i: usize, codes: &[Value], v: &Tok) -> Tok {
        let spec = self.spec;
        let l = &spec.layers[i];
        if !small_u8(&l.cocycle) {
            let lanes_tok;
            let v = match v {
                Tok::Vector(vs) => {
                    lanes_tok = Tok::Lanes(self.lanes_of_all(vs));
                    &lanes_tok
                }
                other => other,
            };
            return Tok::Lanes(self.next_tokens(t, i, codes, v));
        }
        let xs: Vec<Value> = match v {
            Tok::Vector(vs) => vs.clone(),
            Tok::Lanes(ls) => self.vectors_of(ls),
            Tok::Uniform { x, .. } => {
                let x = self.b.ins().ireduce(types::I32, *x);
                let x = self.b.ins().splat(types::I32X4, x);
                vec![x; codes.len()]
            }
        };
        let out = codes
            .iter()
            .zip(xs)
            .map(|(&c, x)| {
                let m = self.mul_imm(c, l.num_tokens as u32);
                let idx = self.b.ins().iadd(m, x);
                self.lut_u8(idx, &l.cocycle)
            })
            .collect();
        Tok::Vector(out)
    }

    /// Next layer's token per lane: cocycle_i[code·V_i + v].
    fn next_tokens(&mut self, t: &Tables, i: usize, codes: &[Value], v: &Tok) -> Vec<Value> {
        let w = self.float().width();
        let vcount = self.spec.layers[i].num_tokens as u32;
        let mut out = Vec::with_capacity(codes.len() * w);
        for (g, &code) in codes.iter().enumerate() {
            let cv = self.mul_imm(code, vcount);
            let cs = self.lanes_of(cv);
            for (lane, &c) in cs.iter().enumerate() {
                let x = match v {
                    Tok::Lanes(v) => v[g * w + lane],
                    Tok::Uniform { x, .. } => *x,
                    Tok::Vector(_) => unreachable!("vector tokens are split by next_tok"),
                };
                let idx = self.b.ins().iadd(c, x);
                let off = self.b.ins().ishl_imm_u(idx, 2);
                let addr = self.b.ins().iadd(t.cocycle[i], off);
                out.push(self.load_u32(addr, 0));
            }
        }
        out
    }

    /// `acc + code·stride` per group.
    fn accumulate(&mut self, acc: &[Value], codes: &[Value], stride: u32) -> Vec<Value> {
        acc.iter()
            .zip(codes)
            .map(|(&a, &c)| {
                let m = self.mul_imm(c, stride);
                self.b.ins().iadd(a, m)
            })
            .collect()
    }

    /// `v·n` per i32 lane: a shift for a power of two.
    fn mul_imm(&mut self, v: Value, n: u32) -> Value {
        match n {
            1 => v,
            _ if n.is_power_of_two() => self.b.ins().ishl_imm_u(v, n.trailing_zeros() as i64),
            _ => {
                let nv = self.vi32(n);
                self.b.ins().imul(v, nv)
            }
        }
    }

    /// Output class ids, readout[joint]: one i32 vector per group when the
    /// readout is looked up in registers, else one scalar per lane.
    fn readout_tok(&mut self, t: &Tables, joint: &[Value]) -> Tok {
        let spec = self.spec;
        if spec.readout.is_none() {
            return Tok::Vector(
                joint
                    .iter()
                    .map(|&jv| bc(self.b, types::I32X4, jv))
                    .collect(),
            );
        }
        if let Some(r) = spec.readout_lut() {
            return Tok::Vector(joint.iter().map(|&jv| self.lut_u8(jv, r)).collect());
        }
        let ys = self.readout(t, joint);
        Tok::Lanes(
            ys.into_iter()
                .map(|y| self.b.ins().uextend(types::I64, y))
                .collect(),
        )
    }

    /// The output of a stack without layers: readout[0], or joint code 0.
    fn trivial_output(&mut self, t: &Tables) -> Value {
        match self.spec.readout {
            Some(_) => self.b.ins().load(types::I32, table_flags(), t.readout, 0),
            None => self.b.ins().iconst(types::I32, 0),
        }
    }

    /// Output class id (i32) per lane: readout[joint].
    fn readout(&mut self, t: &Tables, joint: &[Value]) -> Vec<Value> {
        let w = self.float().width();
        let mut out = Vec::with_capacity(joint.len() * w);
        let spec = self.spec;
        if spec.readout.is_none() || spec.readout_lut().is_some() {
            for &jv in joint {
                let y = match spec.readout_lut() {
                    Some(r) => self.lut_u8(jv, r),
                    None => bc(self.b, types::I32X4, jv),
                };
                for l in 0..w {
                    out.push(self.b.ins().extractlane(y, l as u8));
                }
            }
            return out;
        }
        for &jv in joint {
            for c in self.lanes_of(jv) {
                let off = self.b.ins().ishl_imm_u(c, 2);
                let addr = self.b.ins().iadd(t.readout, off);
                out.push(self.b.ins().load(types::I32, table_flags(), addr, 0));
            }
        }
        out
    }

    /// Store / load the valid i32 lanes of a code vector (4 for f32, 2 for
    /// f64) at `addr + off`.
    /// Store a step's next-layer tokens at `addr`: lane l's at 4·l (a
    /// group's vector covers its lanes).
    fn store_tok(&mut self, tok: Tok, addr: Value) {
        match tok {
            Tok::Vector(vs) => {
                let w = self.float().width();
                for (gi, &x) in vs.iter().enumerate() {
                    self.store_lanes(x, addr, (gi * w * 4) as i32);
                }
            }
            Tok::Lanes(ls) => {
                for (l, &x) in ls.iter().enumerate() {
                    self.b.ins().istore32(data_flags(), x, addr, (4 * l) as i32);
                }
            }
            Tok::Uniform { .. } => unreachable!("next tokens are per lane"),
        }
    }

    /// The back edge of a loop over blocks of `BLOCK` tokens: on to `blk`
    /// with the next block's pointer while it is below `tend`, else `exit`.
    fn next_block(&mut self, tb: Value, tend: Value, blk: Block, exit: Block) {
        let tb2 = self.b.ins().iadd_imm_s(tb, 4 * BLOCK as i64);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, tb2, tend);
        self.b
            .ins()
            .brif(more, blk, &[BlockArg::Value(tb2)], exit, &[]);
    }

    fn store_lanes(&mut self, v: Value, addr: Value, off: i32) {
        match self.float() {
            Float::F32 => {
                self.b.ins().store(data_flags(), v, addr, off);
            }
            Float::F64 => {
                let q = bc(self.b, types::I64X2, v);
                let lo = self.b.ins().extractlane(q, 0);
                self.b.ins().store(data_flags(), lo, addr, off);
            }
        }
    }
    fn load_lanes(&mut self, addr: Value, off: i32) -> Value {
        match self.float() {
            Float::F32 => self.b.ins().load(types::I32X4, data_flags(), addr, off),
            Float::F64 => {
                let lo = self.b.ins().load(types::I64, data_flags(), addr, off);
                let q = self.b.ins().scalar_to_vector(types::I64X2, lo);
                bc(self.b, types::I32X4, q)
            }
        }
    }

    /// `run(ptrs, tokens, out, len, groups)`.
    ///
    /// Time runs in blocks of `BLOCK` steps; within a block each layer runs
    /// over all steps before the next (its tokens and the partial joint
    /// codes kept in a stack buffer). A layer's loop then carries only its
    /// complex state from step to step, so the long decode chains of
    /// successive steps overlap in the processor.
    fn gen_run(&mut self, args: &[Value]) {
        let (ptrs, tok, out, len, ngroups, state) =
            (args[0], args[1], args[2], args[3], args[4], args[5]);
        let f = self.float();
        let (w, groups, lanes) = (f.width(), self.spec.groups, self.spec.lanes());
        let k = self.spec.layers.len();
        let t = self.load_tables(ptrs);
        let rowbytes = self.b.ins().ishl_imm_u(len, 2);
        let offs: Vec<Value> = (0..lanes)
            .map(|l| self.b.ins().imul_imm_s(rowbytes, l as i64))
            .collect();
        let groupbytes = self.b.ins().imul_imm_s(rowbytes, lanes as i64);
        let total = self.b.ins().imul(groupbytes, ngroups);
        let tok_end = self.b.ins().iadd(tok, total);
        let delta = self.b.ins().isub(out, tok);
        let row = (lanes * 4) as u32;
        // Per block, step-major (one row of `lanes` u32 per step): the next
        // layer's tokens, the partial joint codes, layer 0's tokens and the
        // outputs (the last two moved to and from the sequences' rows by
        // transposes).
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            4 * BLOCK as u32 * row + 16,
            4,
        ));
        let vbuf = self.b.ins().stack_addr(types::I64, slot, 0);
        let jbuf = self.b.ins().iadd_imm_s(vbuf, (BLOCK as u32 * row) as i64);
        let tbuf = self
            .b
            .ins()
            .iadd_imm_s(vbuf, (2 * BLOCK as u32 * row) as i64);
        let obuf = self
            .b
            .ins()
            .iadd_imm_s(vbuf, (3 * BLOCK as u32 * row) as i64);
        // Layer 0's tokens as vectors when its tables are in registers;
        // otherwise they are used lane by lane, straight from the rows.
        let tin = k > 0 && self.small_params(0);
        let vars: Vec<Vec<Vec<(Variable, Variable)>>> =
            (0..k).map(|i| self.state_vars(i)).collect();

        let grp = self.b.create_block();
        let blk = self.b.create_block();
        let grp_next = self.b.create_block();
        let exit = self.b.create_block();
        let tokp = self.b.append_block_param(grp, types::I64);
        let sp = self.b.append_block_param(grp, types::I64);
        let tb = self.b.append_block_param(blk, types::I64);

        let zero = self.iconst(0);
        let len0 = self.b.ins().icmp(IntCC::Equal, len, zero);
        let grp0 = self.b.ins().icmp(IntCC::Equal, ngroups, zero);
        let empty = self.b.ins().bor(len0, grp0);
        self.b.ins().brif(
            empty,
            exit,
            &[],
            grp,
            &[BlockArg::Value(tok), BlockArg::Value(state)],
        );

        // Per group of sequences: state ← the group's state block (h0 for a
        // fresh start), then every block of steps.
        self.b.switch_to_block(grp);
        let vt = f.vector();
        let mut off = 0i32;
        for lv in &vars {
            for gv in lv {
                for &(vr, vi) in gv {
                    let cr = self.b.ins().load(vt, data_flags(), sp, off);
                    let ci = self.b.ins().load(vt, data_flags(), sp, off + 16);
                    self.b.def_var(vr, cr);
                    self.b.def_var(vi, ci);
                    off += 32;
                }
            }
        }
        let tend = self.b.ins().iadd(tokp, rowbytes);
        self.b.ins().jump(blk, &[BlockArg::Value(tokp)]);

        self.b.switch_to_block(blk);
        let left = self.b.ins().isub(tend, tb);
        let left = self.b.ins().ushr_imm_u(left, 2);
        let cap = self.iconst(BLOCK as i64);
        let nsteps = self.b.ins().umin(left, cap);
        if tin {
            self.rows_to_steps(tb, &offs, nsteps, tbuf);
        }
        if k == 0 {
            // Trivial group: every output is readout[0].
            self.pass(nsteps, |g, s| {
                let tp = g.step_ptr(tb, s, 4);
                let op = g.b.ins().iadd(tp, delta);
                let y = g.trivial_output(&t);
                for &o in &offs {
                    let a = g.b.ins().iadd(op, o);
                    g.b.ins().store(data_flags(), y, a, 0);
                }
            });
        }
        for (i, lv) in vars.iter().enumerate() {
            let last = i + 1 == k;
            let stride = self.spec.layers[i].joint_stride;
            self.pass(nsteps, |g, s| {
                let tp = g.step_ptr(tb, s, 4);
                let vb = g.step_ptr(vbuf, s, row as i64);
                let jb = g.step_ptr(jbuf, s, row as i64);
                let v = if i == 0 && tin {
                    let tbs = g.step_ptr(tbuf, s, row as i64);
                    Tok::Vector(
                        (0..groups)
                            .map(|gi| g.load_lanes(tbs, (gi * w * 4) as i32))
                            .collect(),
                    )
                } else if i == 0 {
                    let ls: Vec<Value> = offs
                        .iter()
                        .map(|&o| {
                            let a = g.b.ins().iadd(tp, o);
                            g.load_u32(a, 0)
                        })
                        .collect();
                    if g.small_params(0) {
                        Tok::Vector(g.vectors_of(&ls))
                    } else {
                        Tok::Lanes(ls)
                    }
                } else if small_u8(&g.spec.layers[i - 1].cocycle) {
                    Tok::Vector(
                        (0..groups)
                            .map(|gi| g.load_lanes(vb, (gi * w * 4) as i32))
                            .collect(),
                    )
                } else {
                    Tok::Lanes(
                        (0..lanes)
                            .map(|l| g.b.ins().uload32(data_flags(), vb, (4 * l) as i32))
                            .collect(),
                    )
                };
                let mut h: LayerState = lv
                    .iter()
                    .map(|gv| {
                        gv.iter()
                            .map(|&(vr, vi)| (g.b.use_var(vr), g.b.use_var(vi)))
                            .collect()
                    })
                    .collect();
                let codes = g.layer(&t, i, &mut h, &v);
                for (gv, hg) in lv.iter().zip(&h) {
                    for (&(vr, vi), &(re, im)) in gv.iter().zip(hg) {
                        g.b.def_var(vr, re);
                        g.b.def_var(vi, im);
                    }
                }
                let joint = if i == 0 {
                    codes.clone()
                } else {
                    let acc: Vec<Value> = (0..groups)
                        .map(|gi| g.load_lanes(jb, (gi * w * 4) as i32))
                        .collect();
                    g.accumulate(&acc, &codes, stride)
                };
                if last {
                    let ys = g.readout_tok(&t, &joint);
                    let ob = g.step_ptr(obuf, s, row as i64);
                    g.store_tok(ys, ob);
                } else {
                    for (gi, &jv) in joint.iter().enumerate() {
                        g.store_lanes(jv, jb, (gi * w * 4) as i32);
                    }
                    let next = g.next_tok(&t, i, &codes, &v);
                    g.store_tok(next, vb);
                }
            });
        }
        if k > 0 {
            let ob = self.b.ins().iadd(tb, delta);
            self.steps_to_rows(obuf, nsteps, ob, &offs);
        }
        self.next_block(tb, tend, blk, grp_next);

        self.b.switch_to_block(grp_next);
        let mut off = 0i32;
        for lv in &vars {
            for gv in lv {
                for &(vr, vi) in gv {
                    let (cr, ci) = (self.b.use_var(vr), self.b.use_var(vi));
                    self.b.ins().store(data_flags(), cr, sp, off);
                    self.b.ins().store(data_flags(), ci, sp, off + 16);
                    off += 32;
                }
            }
        }
        let sp2 = self.b.ins().iadd_imm_s(sp, off as i64);
        let tokp2 = self.b.ins().iadd(tokp, groupbytes);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, tokp2, tok_end);
        self.b.ins().brif(
            more,
            grp,
            &[BlockArg::Value(tokp2), BlockArg::Value(sp2)],
            exit,
            &[],
        );

        self.b.switch_to_block(exit);
        self.b.ins().return_(&[]);
    }

    /// `run` for a single sequence, SIMD across time instead of across
    /// sequences. A sequence's scan is sequential, but only its complex
    /// multiply-adds are: per block of [`BLOCK`] steps and per layer, a
    /// scalar pass runs the recurrence and keeps the states, then a vector
    /// pass decodes them `lanes`-wide (4 steps at a time in f32), looks up
    /// the next layer's tokens, the joint codes and the outputs, and writes
    /// the outputs as whole vectors. The arithmetic is that of `run`, step
    /// for step.
    ///
    /// The layers are skewed by one block each: iteration b runs layer i on
    /// block b − i, so the layers' recurrences are independent within an
    /// iteration, and where every layer has a whole block they run in one
    /// loop, their latency chains side by side (one complex multiply per
    /// step instead of one per layer). Layer i > 0 reads its tokens and
    /// joint codes from buffers of its own, which layer i − 1's vector pass
    /// fills for the next iteration after layer i has read them.
    fn gen_run1(&mut self, args: &[Value]) {
        let (tok, out, len, state) = (args[1], args[2], args[3], args[5]);
        let f = self.float();
        let (w, k) = (f.width(), self.spec.layers.len());
        let size = f.size() as i64;
        let spec = self.spec;
        let t = self.load_tables(args[0]);
        let exit = self.b.create_block();
        if k == 0 {
            // Not called for a model without layers.
            self.b.ins().jump(exit, &[]);
            self.b.switch_to_block(exit);
            self.b.ins().return_(&[]);
            return;
        }
        // Stack: per layer and component a row of re and one of im, then
        // per layer i > 0 a token row and a joint-code row (u32).
        let widths: Vec<usize> = spec.layers.iter().map(|l| l.moduli.len()).collect();
        let rows: usize = 2 * widths.iter().sum::<usize>();
        let hrow = BLOCK as i64 * size;
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (rows as i64 * hrow + (k as i64 - 1) * 8 * BLOCK as i64 + 32) as u32,
            4,
        ));
        let hbuf = self.b.ins().stack_addr(types::I64, slot, 0);
        // Layer i's token row (i ≥ 1), and its joint-code row after it.
        let vbufs: Vec<Value> = (0..k)
            .map(|i| {
                let o = rows as i64 * hrow + (i as i64 - 1).max(0) * 8 * BLOCK as i64;
                self.b.ins().iadd_imm_s(hbuf, o)
            })
            .collect();
        // Scalar state per layer and component; state block offsets as in
        // `Jit::fresh_state` (lane 0 of group 0's vectors).
        let mut vars: Vec<Vec<(Variable, Variable)>> = Vec::with_capacity(k);
        let mut offs: Vec<Vec<i32>> = Vec::with_capacity(k);
        let mut hrows: Vec<Vec<i64>> = Vec::with_capacity(k);
        let (mut off, mut row) = (0i32, 0i64);
        for &wd in &widths {
            let mut lv = Vec::with_capacity(wd);
            let mut lo = Vec::with_capacity(wd);
            for j in 0..wd {
                let (vr, vi) = (
                    self.b.declare_var(f.scalar()),
                    self.b.declare_var(f.scalar()),
                );
                let o = off + 32 * j as i32;
                let re = self.b.ins().load(f.scalar(), data_flags(), state, o);
                let im = self.b.ins().load(f.scalar(), data_flags(), state, o + 16);
                self.b.def_var(vr, re);
                self.b.def_var(vi, im);
                lv.push((vr, vi));
                lo.push(o);
            }
            off += 32 * (wd * spec.groups) as i32;
            vars.push(lv);
            offs.push(lo);
            hrows.push((0..wd).map(|j| row + 2 * j as i64).collect());
            row += 2 * wd as i64;
        }
        let it = self.b.create_block();
        let done = self.b.create_block();
        let b = self.b.append_block_param(it, types::I64);
        let lg = BLOCK.trailing_zeros() as i64;
        let nblocks = self.b.ins().iadd_imm_s(len, BLOCK as i64 - 1);
        let nblocks = self.b.ins().ushr_imm_u(nblocks, lg);
        let iters = self.b.ins().iadd_imm_s(nblocks, k as i64 - 1);
        let delta = self.b.ins().isub(out, tok);
        let zero = self.iconst(0);
        let empty = self.b.ins().icmp(IntCC::Equal, len, zero);
        self.b
            .ins()
            .brif(empty, done, &[], it, &[BlockArg::Value(zero)]);

        self.b.switch_to_block(it);
        // Per layer: its block (b − i, wrapping below 0), whether it has
        // one, where its tokens start and how many steps it has.
        let mut active = Vec::with_capacity(k);
        let mut tbs = Vec::with_capacity(k);
        let mut nsteps = Vec::with_capacity(k);
        for i in 0..k {
            let bi = self.b.ins().iadd_imm_s(b, -(i as i64));
            active.push(self.b.ins().icmp(IntCC::UnsignedLessThan, bi, nblocks));
            let first = self.b.ins().ishl_imm_u(bi, lg);
            let fb = self.b.ins().ishl_imm_u(first, 2);
            tbs.push(self.b.ins().iadd(tok, fb));
            let left = self.b.ins().isub(len, first);
            let cap = self.iconst(BLOCK as i64);
            nsteps.push(self.b.ins().umin(left, cap));
        }
        let vec_blk = self.b.create_block();
        let sep = self.b.create_block();
        if k > 1 {
            // Every layer has a whole block: b ≥ k − 1 and layer 0's block
            // b ends inside the sequence.
            let fused = self.b.create_block();
            let late = self
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, b, k as i64 - 1);
            let end = self.b.ins().iadd_imm_s(b, 1);
            let end = self.b.ins().ishl_imm_u(end, lg);
            let whole = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, end, len);
            let full = self.b.ins().band(late, whole);
            self.b.ins().brif(full, fused, &[], sep, &[]);
            self.b.switch_to_block(fused);
            let n = self.iconst(BLOCK as i64);
            self.pass(n, |g, s| {
                for i in 0..k {
                    let src = if i == 0 { tbs[0] } else { vbufs[i] };
                    g.run1_step(&t, i, src, s, hbuf, &vars[i], &hrows[i]);
                }
            });
            self.b.ins().jump(vec_blk, &[]);
        } else {
            self.b.ins().jump(sep, &[]);
        }
        self.b.switch_to_block(sep);
        for i in 0..k {
            let src = if i == 0 { tbs[0] } else { vbufs[i] };
            self.guarded(active[i], |g| {
                g.pass(nsteps[i], |g, s| {
                    g.run1_step(&t, i, src, s, hbuf, &vars[i], &hrows[i]);
                });
            });
        }
        self.b.ins().jump(vec_blk, &[]);

        self.b.switch_to_block(vec_blk);
        // Vector passes, last layer first: each reads its rows before the
        // layer below overwrites them for the next iteration.
        for i in (0..k).rev() {
            let l = &spec.layers[i];
            let (width, last) = (l.moduli.len(), i + 1 == k);
            let nvec = self
                .b
                .ins()
                .ushr_imm_u(nsteps[i], w.trailing_zeros() as i64);
            let hr = &hrows[i];
            self.guarded(active[i], |g| {
                g.pass(nvec, |g, q| {
                    let hq = g.step_ptr(hbuf, q, 16);
                    let mut digits = Vec::with_capacity(width);
                    for (j, &hj) in hr.iter().enumerate() {
                        let vt = f.vector();
                        let re = g.b.ins().load(vt, data_flags(), hq, (hj * hrow) as i32);
                        let im =
                            g.b.ins()
                                .load(vt, data_flags(), hq, ((hj + 1) * hrow) as i32);
                        let n = l.moduli[j];
                        digits.push(g.component_digits(l.coords[j], &[re], &[im], n)[0]);
                    }
                    let mut code = digits[width - 1];
                    for j in (0..width - 1).rev() {
                        let m = g.mul_imm(code, l.moduli[j]);
                        code = g.b.ins().iadd(m, digits[j]);
                    }
                    let joint = if i == 0 {
                        code
                    } else {
                        let jq = g.step_ptr(vbufs[i], q, 4 * w as i64);
                        let acc = g.load_lanes(jq, 4 * BLOCK as i32);
                        g.accumulate(&[acc], &[code], l.joint_stride)[0]
                    };
                    let tq = if i == 0 {
                        g.step_ptr(tbs[0], q, 4 * w as i64)
                    } else {
                        g.step_ptr(vbufs[i], q, 4 * w as i64)
                    };
                    if last {
                        // Outputs sit at the input tokens' offsets in `out`.
                        let ip = g.step_ptr(tbs[i], q, 4 * w as i64);
                        let op = g.b.ins().iadd(ip, delta);
                        if spec.readout.is_none() {
                            let y = bc(g.b, types::I32X4, joint);
                            g.store_lanes(y, op, 0);
                        } else if let Some(r) = spec.readout_lut() {
                            let y = g.lut_u8(joint, r);
                            g.store_lanes(y, op, 0);
                        } else {
                            for (lane, y) in g.readout(&t, &[joint]).into_iter().enumerate() {
                                g.b.ins().store(data_flags(), y, op, (4 * lane) as i32);
                            }
                        }
                    } else {
                        let v = if small_u8(&l.cocycle) {
                            Tok::Vector(vec![g.load_lanes(tq, 0)])
                        } else {
                            Tok::Lanes(
                                (0..w)
                                    .map(|lane| {
                                        g.b.ins().uload32(data_flags(), tq, (4 * lane) as i32)
                                    })
                                    .collect(),
                            )
                        };
                        // Layer i + 1's tokens and joint codes, read by it
                        // in the next iteration.
                        let vq = g.step_ptr(vbufs[i + 1], q, 4 * w as i64);
                        g.store_lanes(joint, vq, 4 * BLOCK as i32);
                        let next = g.next_tok(&t, i, &[code], &v);
                        g.store_tok(next, vq);
                    }
                });
            });
        }
        let b2 = self.b.ins().iadd_imm_s(b, 1);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, b2, iters);
        self.b
            .ins()
            .brif(more, it, &[BlockArg::Value(b2)], done, &[]);

        self.b.switch_to_block(done);
        for (lv, lo) in vars.iter().zip(&offs) {
            for (&(vr, vi), &o) in lv.iter().zip(lo) {
                let (re, im) = (self.b.use_var(vr), self.b.use_var(vi));
                self.b.ins().store(data_flags(), re, state, o);
                self.b.ins().store(data_flags(), im, state, o + 16);
            }
        }
        self.b.ins().jump(exit, &[]);
        self.b.switch_to_block(exit);
        self.b.ins().return_(&[]);
    }

    /// a·h in the reference's order: (a.re·h.re − a.im·h.im,
    /// a.re·h.im + a.im·h.re), each product rounded, no fused multiply-add.
    fn cmul(&mut self, (ar, ai): (Value, Value), (hr, hi): (Value, Value)) -> (Value, Value) {
        let p1 = self.b.ins().fmul(ar, hr);
        let p2 = self.b.ins().fmul(ai, hi);
        let re = self.b.ins().fsub(p1, p2);
        let p3 = self.b.ins().fmul(ar, hi);
        let p4 = self.b.ins().fmul(ai, hr);
        (re, self.b.ins().fadd(p3, p4))
    }

    /// `body` when `cond` holds; continues in a fresh block after it.
    fn guarded(&mut self, cond: Value, body: impl FnOnce(&mut Self)) {
        let then = self.b.create_block();
        let after = self.b.create_block();
        self.b.ins().brif(cond, then, &[], after, &[]);
        self.b.switch_to_block(then);
        body(self);
        self.b.ins().jump(after, &[]);
        self.b.switch_to_block(after);
    }

    /// One step s of layer i's recurrence in `run1`: its token from `src`
    /// (the input for layer 0, its token row otherwise), its state kept in
    /// `vars` and stored into its rows `hrows` of `hbuf`.
    #[allow(clippy::too_many_arguments)]
    fn run1_step(
        &mut self,
        t: &Tables,
        i: usize,
        src: Value,
        s: Value,
        hbuf: Value,
        vars: &[(Variable, Variable)],
        hrows: &[i64],
    ) {
        let f = self.float();
        let (size, pair) = (f.size() as i64, 2 * f.size() as i64);
        let l = &self.spec.layers[i];
        let (rowbytes, bias) = (l.moduli.len() as i64 * pair, l.bias);
        let hrow = BLOCK as i64 * size;
        let tp = self.step_ptr(src, s, 4);
        let v = if i == 0 {
            self.load_u32(tp, 0)
        } else {
            // Written by the layer below's vector pass.
            self.b.ins().uload32(data_flags(), tp, 0)
        };
        let o = self.b.ins().imul_imm_s(v, rowbytes);
        let arow = self.b.ins().iadd(t.params[i], o);
        let brow = self.b.ins().iadd(t.bias[i], o);
        let hs = self.step_ptr(hbuf, s, size);
        for (j, (&hj, &(vr, vi))) in hrows.iter().zip(vars).enumerate() {
            let g = &mut *self;
            let po = (j as i64 * pair) as i32;
            let fs = f.scalar();
            let ar = g.b.ins().load(fs, table_flags(), arow, po);
            let ai = g.b.ins().load(fs, table_flags(), arow, po + size as i32);
            let (hr, hi) = (g.b.use_var(vr), g.b.use_var(vi));
            let (mut re, mut im) = g.cmul((ar, ai), (hr, hi));
            match bias {
                Bias::Table => {
                    let br = g.b.ins().load(fs, table_flags(), brow, po);
                    let bi = g.b.ins().load(fs, table_flags(), brow, po + size as i32);
                    re = g.b.ins().fadd(re, br);
                    im = g.b.ins().fadd(im, bi);
                }
                Bias::PlusZero => {
                    let z = match f {
                        Float::F32 => g.b.ins().f32const(0.0),
                        Float::F64 => g.b.ins().f64const(0.0),
                    };
                    re = g.b.ins().fadd(re, z);
                    im = g.b.ins().fadd(im, z);
                }
                Bias::MinusZero => {}
            }
            g.b.def_var(vr, re);
            g.b.def_var(vi, im);
            g.b.ins().store(data_flags(), re, hs, (hj * hrow) as i32);
            g.b.ins()
                .store(data_flags(), im, hs, ((hj + 1) * hrow) as i32);
        }
    }

    /// `for s in lo..hi` around `body` (no iterations when lo ≥ hi);
    /// continues in a fresh block after it.
    fn range(&mut self, lo: Value, hi: Value, body: impl FnOnce(&mut Self, Value)) {
        let lp = self.b.create_block();
        let done = self.b.create_block();
        let s = self.b.append_block_param(lp, types::I64);
        let any = self.b.ins().icmp(IntCC::UnsignedLessThan, lo, hi);
        self.b
            .ins()
            .brif(any, lp, &[BlockArg::Value(lo)], done, &[]);
        self.b.switch_to_block(lp);
        body(self, s);
        let s2 = self.b.ins().iadd_imm_s(s, 1);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, s2, hi);
        self.b
            .ins()
            .brif(more, lp, &[BlockArg::Value(s2)], done, &[]);
        self.b.switch_to_block(done);
    }

    /// A shuffle of two i32x4 vectors by lane indices (0..4 from `a`, 4..8
    /// from `b`); the interleaving patterns lower to single instructions.
    fn shuf32(&mut self, a: Value, b: Value, lanes: [u8; 4]) -> Value {
        let mask: Vec<u8> = lanes
            .iter()
            .flat_map(|&l| (0..4).map(move |k| 4 * l + k))
            .collect();
        let imm = self.b.func.dfg.immediates.push(ConstantData::from(mask));
        let (a, b) = (bc(self.b, types::I8X16, a), bc(self.b, types::I8X16, b));
        let r = self.b.ins().shuffle(a, b, imm);
        bc(self.b, types::I32X4, r)
    }

    /// The transpose of a 4×4 block of i32 lanes (rows in, columns out).
    fn transpose4(&mut self, r: [Value; 4]) -> [Value; 4] {
        let t0 = self.shuf32(r[0], r[1], [0, 4, 1, 5]);
        let t1 = self.shuf32(r[0], r[1], [2, 6, 3, 7]);
        let t2 = self.shuf32(r[2], r[3], [0, 4, 1, 5]);
        let t3 = self.shuf32(r[2], r[3], [2, 6, 3, 7]);
        [
            self.shuf32(t0, t2, [0, 1, 4, 5]),
            self.shuf32(t0, t2, [2, 3, 6, 7]),
            self.shuf32(t1, t3, [0, 1, 4, 5]),
            self.shuf32(t1, t3, [2, 3, 6, 7]),
        ]
    }

    /// Copy steps `0..nsteps` of the sequences' u32 rows (lane l's at
    /// `base + offs[l]`) into `buf`, step-major: step s's lanes at
    /// `buf + s·4·lanes`. Whole quads of steps move as 4×4 transposes (or
    /// 2×4 interleaves for a last pair of lanes), the rest lane by lane.
    fn rows_to_steps(&mut self, base: Value, offs: &[Value], nsteps: Value, buf: Value) {
        let row = (4 * offs.len()) as i64;
        let zero = self.iconst(0);
        let nq = self.b.ins().ushr_imm_u(nsteps, 2);
        self.range(zero, nq, |g, q| {
            let src = g.step_ptr(base, q, 16);
            let dst = g.step_ptr(buf, q, 4 * row);
            for (c, chunk) in offs.chunks(4).enumerate() {
                let r: Vec<Value> = chunk
                    .iter()
                    .map(|&o| {
                        let a = g.b.ins().iadd(src, o);
                        g.b.ins().load(types::I32X4, data_flags(), a, 0)
                    })
                    .collect();
                let at = (16 * c) as i32;
                if let [r0, r1, r2, r3] = r[..] {
                    for (j, v) in g.transpose4([r0, r1, r2, r3]).into_iter().enumerate() {
                        g.b.ins()
                            .store(data_flags(), v, dst, at + (j as i64 * row) as i32);
                    }
                } else {
                    // Two lanes: steps 0, 1 interleaved, then 2, 3.
                    let lo = g.shuf32(r[0], r[1], [0, 4, 1, 5]);
                    let hi = g.shuf32(r[0], r[1], [2, 6, 3, 7]);
                    for (j, v) in [lo, lo, hi, hi].into_iter().enumerate() {
                        let q64 = bc(g.b, types::I64X2, v);
                        let x = g.b.ins().extractlane(q64, (j % 2) as u8);
                        g.b.ins()
                            .store(data_flags(), x, dst, at + (j as i64 * row) as i32);
                    }
                }
            }
        });
        let s0 = self.b.ins().ishl_imm_u(nq, 2);
        self.range(s0, nsteps, |g, s| {
            let src = g.step_ptr(base, s, 4);
            let dst = g.step_ptr(buf, s, row);
            for (l, &o) in offs.iter().enumerate() {
                let a = g.b.ins().iadd(src, o);
                let x = g.b.ins().load(types::I32, data_flags(), a, 0);
                g.b.ins().store(data_flags(), x, dst, (4 * l) as i32);
            }
        });
    }

    /// The inverse of [`Gen::rows_to_steps`]: steps `0..nsteps` of `buf`
    /// out to the rows at `base + offs[l]`.
    fn steps_to_rows(&mut self, buf: Value, nsteps: Value, base: Value, offs: &[Value]) {
        let row = (4 * offs.len()) as i64;
        let zero = self.iconst(0);
        let nq = self.b.ins().ushr_imm_u(nsteps, 2);
        self.range(zero, nq, |g, q| {
            let src = g.step_ptr(buf, q, 4 * row);
            let dst = g.step_ptr(base, q, 16);
            for (c, chunk) in offs.chunks(4).enumerate() {
                let at = (16 * c) as i32;
                let cols = if chunk.len() == 4 {
                    let r: Vec<Value> = (0..4)
                        .map(|j| {
                            let off = at + (j * row) as i32;
                            g.b.ins().load(types::I32X4, data_flags(), src, off)
                        })
                        .collect();
                    g.transpose4([r[0], r[1], r[2], r[3]]).to_vec()
                } else {
                    // Two lanes: (lane 0, lane 1) pairs of steps 0..4.
                    let x: Vec<Value> = (0..4)
                        .map(|j| {
                            let off = at + (j * row) as i32;
                            g.b.ins().load(types::I64, data_flags(), src, off)
                        })
                        .collect();
                    let pair = |g: &mut Self, a: Value, b: Value| {
                        let v = g.b.ins().scalar_to_vector(types::I64X2, a);
                        let v = g.b.ins().insertlane(v, b, 1);
                        bc(g.b, types::I32X4, v)
                    };
                    let v01 = pair(g, x[0], x[1]);
                    let v23 = pair(g, x[2], x[3]);
                    vec![
                        g.shuf32(v01, v23, [0, 2, 4, 6]),
                        g.shuf32(v01, v23, [1, 3, 5, 7]),
                    ]
                };
                for (&o, v) in chunk.iter().zip(cols) {
                    let a = g.b.ins().iadd(dst, o);
                    g.b.ins().store(data_flags(), v, a, 0);
                }
            }
        });
        let s0 = self.b.ins().ishl_imm_u(nq, 2);
        self.range(s0, nsteps, |g, s| {
            let src = g.step_ptr(buf, s, row);
            let dst = g.step_ptr(base, s, 4);
            for (l, &o) in offs.iter().enumerate() {
                let x =
                    g.b.ins()
                        .load(types::I32, data_flags(), src, (4 * l) as i32);
                let a = g.b.ins().iadd(dst, o);
                g.b.ins().store(data_flags(), x, a, 0);
            }
        });
    }

    /// `base + s·stride`.
    fn step_ptr(&mut self, base: Value, s: Value, stride: i64) -> Value {
        let o = self.b.ins().imul_imm_s(s, stride);
        self.b.ins().iadd(base, o)
    }

    /// A loop `for s in 0..nsteps` (nsteps ≥ 1) around `body`; continues in
    /// a fresh block after it. The constant pool's address is carried
    /// through the loop (plus the opaque zero each iteration) so its loads
    /// stay inside (see [`Pool`]).
    fn pass(&mut self, nsteps: Value, body: impl FnOnce(&mut Self, Value)) {
        let lp = self.b.create_block();
        let done = self.b.create_block();
        let s = self.b.append_block_param(lp, types::I64);
        let cp = self.b.append_block_param(lp, types::I64);
        let zero = self.iconst(0);
        let outer = self.cpool;
        self.b
            .ins()
            .jump(lp, &[BlockArg::Value(zero), BlockArg::Value(outer)]);
        self.b.switch_to_block(lp);
        self.cpool = cp;
        body(self, s);
        self.cpool = outer;
        let s2 = self.b.ins().iadd_imm_s(s, 1);
        let cp2 = self.b.ins().iadd(cp, self.opaque_zero);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, s2, nsteps);
        self.b.ins().brif(
            more,
            lp,
            &[BlockArg::Value(s2), BlockArg::Value(cp2)],
            done,
            &[],
        );
        self.b.switch_to_block(done);
    }

    /// A u32 table entry, zero-extended to i64.
    fn load_u32(&mut self, addr: Value, off: i32) -> Value {
        let x = self.b.ins().load(types::I32, table_flags(), addr, off);
        self.b.ins().uextend(types::I64, x)
    }

    fn splat_f(&mut self, x: f64) -> Value {
        let f = self.float();
        let c = match f {
            Float::F32 => self.b.ins().f32const(x as f32),
            Float::F64 => self.b.ins().f64const(x),
        };
        self.b.ins().splat(f.vector(), c)
    }

    /// One variable per state vector of layer `i`: `[group][component]`.
    fn state_vars(&mut self, i: usize) -> Vec<Vec<(Variable, Variable)>> {
        let vt = self.float().vector();
        let width = self.spec.layers[i].moduli.len();
        (0..self.spec.groups)
            .map(|_| {
                (0..width)
                    .map(|_| (self.b.declare_var(vt), self.b.declare_var(vt)))
                    .collect()
            })
            .collect()
    }

    /// `expand(ptrs, parent, pstride, nparent, child, cstride, out)`.
    fn gen_expand(&mut self, args: &[Value]) {
        let (ptrs, parent, pstride, nparent, child, cstride, out) = (
            args[0], args[1], args[2], args[3], args[4], args[5], args[6],
        );
        let f = self.float();
        let (w, lanes) = (f.width(), self.spec.lanes());
        let size = f.size() as i64;
        let k = self.spec.layers.len();
        let t = self.load_tables(ptrs);
        let prow = self.b.ins().imul_imm_s(pstride, size);
        let crow = self.b.ins().imul_imm_s(cstride, size);
        let ntok = self.spec.num_tokens as i64;

        let xhead = self.b.create_block();
        let ploop = self.b.create_block();
        let xnext = self.b.create_block();
        let exit = self.b.create_block();
        let x = self.b.append_block_param(xhead, types::I64);
        let p0 = self.b.append_block_param(ploop, types::I64);
        let cp = self.b.append_block_param(ploop, types::I64);

        let zero = self.iconst(0);
        if ntok == 0 {
            self.b.ins().jump(exit, &[]);
        } else {
            let none = self.b.ins().icmp(IntCC::Equal, nparent, zero);
            self.b
                .ins()
                .brif(none, exit, &[], xhead, &[BlockArg::Value(zero)]);
        }

        // Per token: its layer-0 parameters once, then every lane group.
        self.b.switch_to_block(xhead);
        let params = self.uniform_params(&t, x);
        let cbase = self.b.ins().imul(x, nparent);
        let outer = self.cpool;
        self.b
            .ins()
            .jump(ploop, &[BlockArg::Value(zero), BlockArg::Value(outer)]);

        self.b.switch_to_block(ploop);
        self.cpool = cp;
        let pp = self.step_ptr(parent, p0, size);
        let ci = self.b.ins().iadd(cbase, p0);
        let chp = self.step_ptr(child, ci, size);
        let vt = f.vector();
        // Row r of a block holds scalar r/2 of the joint state (re for even r).
        let mut rows = Vec::new();
        let mut hs: Vec<LayerState> = Vec::with_capacity(k);
        for i in 0..k {
            let width = self.spec.layers[i].moduli.len();
            let mut lg: LayerState = vec![Vec::with_capacity(width); self.spec.groups];
            for _ in 0..width {
                let r = rows.len() as i64;
                rows.push(r);
                let base_re = self.step_ptr(pp, prow, 2 * r);
                let base_im = self.step_ptr(pp, prow, 2 * r + 1);
                for (g, comps) in lg.iter_mut().enumerate() {
                    let off = (g * w) as i32 * size as i32;
                    let re = self.b.ins().load(vt, block_ro_flags(), base_re, off);
                    let im = self.b.ins().load(vt, block_ro_flags(), base_im, off);
                    comps.push((re, im));
                }
            }
            hs.push(lg);
        }
        let mut v = Tok::Uniform { x, params };
        let mut joint: Vec<Value> = Vec::new();
        for (i, h) in hs.iter_mut().enumerate() {
            let codes = self.layer(&t, i, h, &v);
            joint = if i == 0 {
                codes.clone()
            } else {
                let stride = self.spec.layers[i].joint_stride;
                self.accumulate(&joint, &codes, stride)
            };
            if i + 1 < k {
                v = self.next_tok(&t, i, &codes, &v);
            }
        }
        // Outputs are contiguous here: whole vectors where the readout is
        // looked up in registers, else one store per lane.
        let spec = self.spec;
        let (ys, yv) = if k == 0 {
            let y = self.trivial_output(&t);
            (vec![y; lanes], Vec::new())
        } else if spec.readout.is_none() {
            let yv = joint
                .iter()
                .map(|&jv| bc(self.b, types::I32X4, jv))
                .collect();
            (Vec::new(), yv)
        } else if let Some(r) = spec.readout_lut() {
            let yv = joint.iter().map(|&jv| self.lut_u8(jv, r)).collect();
            (Vec::new(), yv)
        } else {
            (self.readout(&t, &joint), Vec::new())
        };
        let mut r = 0i64;
        for h in &hs {
            for j in 0..h[0].len() {
                let base_re = self.step_ptr(chp, crow, 2 * r);
                let base_im = self.step_ptr(chp, crow, 2 * r + 1);
                for (g, hg) in h.iter().enumerate() {
                    let off = (g * w) as i32 * size as i32;
                    self.b.ins().store(data_flags(), hg[j].0, base_re, off);
                    self.b.ins().store(data_flags(), hg[j].1, base_im, off);
                }
                r += 1;
            }
        }
        let op = self.step_ptr(out, ci, 4);
        for (g, &y) in yv.iter().enumerate() {
            self.store_lanes(y, op, (4 * g * w) as i32);
        }
        for (lane, &y) in ys.iter().enumerate() {
            self.b.ins().store(data_flags(), y, op, (4 * lane) as i32);
        }
        let p2 = self.b.ins().iadd_imm_s(p0, lanes as i64);
        let cp2 = self.b.ins().iadd(cp, self.opaque_zero);
        self.cpool = outer;
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, p2, nparent);
        self.b.ins().brif(
            more,
            ploop,
            &[BlockArg::Value(p2), BlockArg::Value(cp2)],
            xnext,
            &[],
        );

        self.b.switch_to_block(xnext);
        let x2 = self.b.ins().iadd_imm_s(x, 1);
        let more = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, x2, ntok);
        self.b
            .ins()
            .brif(more, xhead, &[BlockArg::Value(x2)], exit, &[]);

        self.b.switch_to_block(exit);
        self.b.ins().return_(&[]);
    }
}

/// `v` as type `ty` (no-op if it is one).
fn bc(b: &mut FunctionBuilder, ty: Type, v: Value) -> Value {
    if b.func.dfg.value_type(v) == ty {
        return v;
    }
    b.ins().bitcast(
        ty,
        MemFlagsData::new().with_endianness(Endianness::Little),
        v,
    )
}

/// Lane-wise `mask ? x : y` on vectors of type `vt`, `mask` all ones or
/// zeros per lane (a comparison result).
fn sel(b: &mut FunctionBuilder, vt: Type, mask: Value, x: Value, y: Value) -> Value {
    let m = bc(b, vt, mask);
    b.ins().bitselect(m, x, y)
}

/// Lane-wise `sign bit of s set ? x : y` on float vectors (-0.0 counts as
/// negative, as atan2 distinguishes it); `zero` is an all-zero integer
/// vector.
fn sel_sign(b: &mut FunctionBuilder, f: Float, zero: Value, s: Value, x: Value, y: Value) -> Value {
    let it = f.ivector();
    let sb = bc(b, it, s);
    if cfg!(target_arch = "x86_64") {
        // blendvps/blendvpd read just the sign bit of each lane.
        let (xb, yb) = (bc(b, it, x), bc(b, it, y));
        let r = b.ins().blendv(sb, xb, yb);
        bc(b, f.vector(), r)
    } else {
        let m = b.ins().icmp(IntCC::SignedLessThan, sb, zero);
        sel(b, f.vector(), m, x, y)
    }
}

/// `x` rounded to a multiple of 1/2 when it is one up to rounding (so
/// cos(π/2) is 0 and sin(π/6) is 1/2, exactly).
fn snap(x: f64) -> f64 {
    let r = (2.0 * x).round() / 2.0;
    if (x - r).abs() < 1e-12 {
        r
    } else {
        x
    }
}

/// A 16-byte vector of copies of `lane`.
fn splat_bytes(lane: &[u8]) -> [u8; 16] {
    let mut b = [0u8; 16];
    for (i, x) in b.iter_mut().enumerate() {
        *x = lane[i % lane.len()];
    }
    b
}
