//! Grammar-aware gssm sources from fuzz input: programs that follow
//! grammar/gssm.pest (imports, parameterised definitions with guards,
//! presentations with equations, commutators and nested powers, permutation
//! groups with ranges, `for` and `if`, direct and semidirect products with
//! actions, series hints), so most inputs get past the parser and exercise
//! elaboration. Names are drawn from small pools so that references often
//! resolve, and often do not.

use arbitrary::{Result, Unstructured};

const GENS: [&str; 6] = ["a", "b", "c", "r", "s", "t"];
const DEFS: [&str; 5] = ["G", "H", "K", "F", "Q"];
const PARAMS: [&str; 2] = ["n", "m"];
const FAMILIES: [&str; 8] = [
    "Cyclic",
    "Dihedral",
    "Symmetric",
    "Alternating",
    "Dicyclic",
    "Quaternion",
    "ElementaryAbelian",
    "AGL1",
];
const SEED_GROUPS: [&str; 6] = ["C2", "C6", "S3", "A4", "Q8", "S4"];

/// Depth budget for nested expressions: keeps sources small.
const DEPTH: u32 = 3;

struct Gen<'u, 'd> {
    u: &'u mut Unstructured<'d>,
    out: String,
    /// Parameters in scope of the definition being written.
    params: Vec<&'static str>,
    /// Definitions written so far (name, arity).
    defs: Vec<(&'static str, usize)>,
}

/// A whole source file.
pub fn program(u: &mut Unstructured) -> Result<String> {
    let mut g = Gen {
        u,
        out: String::new(),
        params: Vec::new(),
        defs: Vec::new(),
    };
    if g.u.ratio(1, 2)? {
        g.out.push_str("import \"families\"\n");
    }
    if g.u.ratio(1, 4)? {
        g.out.push_str("import \"seed\"\n");
    }
    if g.u.ratio(1, 8)? {
        let path =
            *g.u.choose(&["lib.gssm", "main.gssm", "missing.gssm", "../lib.gssm"])?;
        g.out.push_str(&format!("import \"{path}\"\n"));
    }
    for _ in 0..g.u.int_in_range(1..=4)? {
        g.definition()?;
    }
    Ok(g.out)
}

impl Gen<'_, '_> {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn definition(&mut self) -> Result<()> {
        let name = *self.u.choose(&DEFS)?;
        let arity = *self.u.choose(&[0, 0, 1, 2])?;
        self.params = PARAMS[..arity].to_vec();
        self.push(&format!("group {name}"));
        if arity > 0 {
            self.push(&format!("({})", self.params.join(", ")));
            if self.u.ratio(1, 2)? {
                let kind = *self.u.choose(&["require", "warn"])?;
                self.push(&format!("\n  {kind} "));
                self.iexpr(1)?;
                self.push(", \"bad {");
                self.iexpr(1)?;
                self.push("}\"");
            }
        }
        self.push(" = ");
        self.gexpr(DEPTH)?;
        if self.u.ratio(1, 6)? {
            self.push(" with series [ ");
            for k in 0..self.u.int_in_range(1..=2)? {
                if k > 0 {
                    self.push(", ");
                }
                if self.u.ratio(1, 4)? {
                    self.push("1");
                } else {
                    self.push("<");
                    self.word(1)?;
                    self.push(">");
                }
            }
            self.push(" ]");
        }
        self.push("\n");
        self.defs.push((name, arity));
        Ok(())
    }

    fn gexpr(&mut self, depth: u32) -> Result<()> {
        self.gprod(depth)?;
        if depth > 0 && self.u.ratio(1, 5)? {
            self.push(" : ");
            self.gprod(depth - 1)?;
            self.push(" by { ");
            for k in 0..self.u.int_in_range(1..=2)? {
                if k > 0 {
                    self.push("; ");
                }
                let h = *self.u.choose(&GENS)?;
                self.push(&format!("{h}: "));
                for j in 0..self.u.int_in_range(1..=2)? {
                    if j > 0 {
                        self.push(", ");
                    }
                    let n = *self.u.choose(&GENS)?;
                    self.push(&format!("{n} -> "));
                    self.word(1)?;
                }
            }
            self.push(" }");
        }
        Ok(())
    }

    fn gprod(&mut self, depth: u32) -> Result<()> {
        self.gpow(depth)?;
        if depth > 0 {
            for _ in 0..self.u.int_in_range(0..=2)? {
                self.push(" x ");
                self.gpow(depth - 1)?;
            }
        }
        Ok(())
    }

    fn gpow(&mut self, depth: u32) -> Result<()> {
        self.gatom(depth)?;
        if self.u.ratio(1, 8)? {
            self.push("^");
            self.int_atom()?;
        }
        Ok(())
    }

    fn gatom(&mut self, depth: u32) -> Result<()> {
        match self.u.int_in_range(0..=4)? {
            0 | 1 => self.presentation(),
            2 => self.perm_group(),
            3 if depth > 0 => {
                self.push("(");
                self.gexpr(depth - 1)?;
                self.push(")");
                Ok(())
            }
            _ => self.call(),
        }
    }

    fn presentation(&mut self) -> Result<()> {
        let n = self.u.int_in_range(0..=3)?;
        let gens = &GENS[..n];
        self.push(&format!("< {}", gens.join(", ")));
        if self.u.ratio(7, 8)? {
            self.push(" | ");
            // Random relators mostly present infinite groups, on which
            // coset enumeration runs to its work limit (slow, and always
            // the same path): usually bound every generator's order first.
            let mut first = true;
            if n > 0 && self.u.ratio(3, 4)? {
                for g in gens {
                    let k = self.u.int_in_range(1..=6)?;
                    self.push(&format!("{}{g}^{k}", if first { "" } else { ", " }));
                    first = false;
                }
                if n > 1 && self.u.ratio(1, 2)? {
                    let k = self.u.int_in_range(1..=4)?;
                    self.push(&format!(", (a*b)^{k}"));
                }
            }
            for k in 0..self.u.int_in_range(0..=4)? {
                if k > 0 || !first {
                    self.push(", ");
                }
                self.word(2)?;
                if self.u.ratio(1, 4)? {
                    self.push(" = ");
                    self.word(1)?;
                }
            }
        }
        self.push(" >");
        Ok(())
    }

    fn word(&mut self, depth: u32) -> Result<()> {
        for k in 0..self.u.int_in_range(1..=3)? {
            if k > 0 {
                self.push("*");
            }
            match self.u.int_in_range(0..=5)? {
                0 if depth > 0 => {
                    self.push("(");
                    self.word(depth - 1)?;
                    self.push(")");
                }
                1 if depth > 0 => {
                    self.push("[");
                    self.word(depth - 1)?;
                    self.push(", ");
                    self.word(depth - 1)?;
                    self.push("]");
                }
                2 => self.push("1"),
                _ => {
                    let g = *self.u.choose(&GENS[..3])?;
                    self.push(g);
                }
            }
            if self.u.ratio(1, 2)? {
                self.push("^");
                if self.u.ratio(1, 4)? {
                    self.push("-");
                }
                self.int_atom()?;
            }
        }
        Ok(())
    }

    fn perm_group(&mut self) -> Result<()> {
        self.push("perm");
        if self.u.ratio(1, 3)? {
            self.push("(");
            self.iexpr(1)?;
            self.push(")");
        }
        self.push(" { ");
        for k in 0..self.u.int_in_range(0..=3)? {
            if k > 0 {
                self.push(", ");
            }
            if self.u.ratio(1, 3)? {
                let g = *self.u.choose(&GENS)?;
                self.push(&format!("{g} = "));
            }
            let looped = self.u.ratio(1, 4)?;
            for _ in 0..self.u.int_in_range(1..=2)? {
                self.push("(");
                for j in 0..self.u.int_in_range(0..=4)? {
                    if j > 0 {
                        self.push(",");
                    }
                    if looped && self.u.ratio(1, 2)? {
                        self.push("k");
                    } else {
                        let point = self.u.int_in_range(0..=8u32)?;
                        self.push(&point.to_string());
                    }
                    if self.u.ratio(1, 6)? {
                        self.push("..");
                        self.iexpr(0)?;
                    }
                }
                self.push(")");
            }
            if looped {
                self.push(" for k in ");
                self.iexpr(0)?;
                self.push("..");
                self.iexpr(0)?;
            }
            if self.u.ratio(1, 6)? {
                self.push(" if ");
                self.iexpr(1)?;
            }
        }
        self.push(" }");
        Ok(())
    }

    fn call(&mut self) -> Result<()> {
        match self.u.int_in_range(0..=2)? {
            0 => {
                let f = *self.u.choose(&FAMILIES)?;
                self.push(f);
                self.args(1)
            }
            1 => {
                let f = *self.u.choose(&SEED_GROUPS)?;
                self.push(f);
                Ok(())
            }
            _ => match self.defs.len() {
                0 => {
                    self.push("Undefined");
                    Ok(())
                }
                n => {
                    let (name, arity) = self.defs[self.u.int_in_range(0..=n - 1)?];
                    self.push(name);
                    // Usually the right number of arguments.
                    let k = if self.u.ratio(7, 8)? {
                        arity
                    } else {
                        self.u.int_in_range(0..=2)?
                    };
                    if k > 0 {
                        self.args(k)?;
                    }
                    Ok(())
                }
            },
        }
    }

    fn args(&mut self, k: usize) -> Result<()> {
        self.push("(");
        for j in 0..k {
            if j > 0 {
                self.push(", ");
            }
            self.iexpr(1)?;
        }
        self.push(")");
        Ok(())
    }

    fn iexpr(&mut self, depth: u32) -> Result<()> {
        self.int_atom()?;
        if depth > 0 && self.u.ratio(1, 3)? {
            let op = *self.u.choose(&[
                "+", "-", "*", "/", "%", "^", "==", "<", ">=", "&&", "||", "!=",
            ])?;
            self.push(&format!(" {op} "));
            self.iexpr(depth - 1)?;
        }
        Ok(())
    }

    fn int_atom(&mut self) -> Result<()> {
        match self.u.int_in_range(0..=7)? {
            0 if !self.params.is_empty() => {
                let p = *self.u.choose(&self.params)?;
                self.push(p);
            }
            1 => {
                let f = *self.u.choose(&[
                    "gcd(12, 18)",
                    "max(2, 3)",
                    "primroot(7)",
                    "abs(-4)",
                    "ispow(8, 2)",
                    "min(1, 0)",
                ])?;
                self.push(f);
            }
            2 => {
                let big = *self.u.choose(&[
                    "0",
                    "-1",
                    "65536",
                    "2147483648",
                    "9223372036854775807",
                    "99999999999999999999",
                ])?;
                self.push(big);
            }
            _ => {
                let n = self.u.int_in_range(0..=12u32)?;
                self.push(&n.to_string());
            }
        }
        Ok(())
    }
}
