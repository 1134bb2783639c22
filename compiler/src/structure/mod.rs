//! Structure of a finite group: subgroups, series, abelian factors.
