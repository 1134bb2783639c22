//! Source text to AST (pest grammar in grammar/gssm.pest).
