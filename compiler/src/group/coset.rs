//! Coset enumeration (Todd–Coxeter) for finite presentations.
