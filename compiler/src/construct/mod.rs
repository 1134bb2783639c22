//! Group + series to the SSM IR (the construction of DESIGN.md §1).
