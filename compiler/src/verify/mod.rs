//! Proof, exhaustive check and precision horizon of a compiled model.
