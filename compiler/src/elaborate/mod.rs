//! AST to finite groups.
