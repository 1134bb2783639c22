//! Target architectures: which factor class each realises in one layer.
