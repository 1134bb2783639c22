//! Abelian invariants in both forms. (The structure algorithms are checked
//! against GAP on every oracle group by `engine_oracle.rs`.)

use gssm_compiler::structure::abelian;

#[test]
fn invariant_factor_form_combines_primes() {
    assert_eq!(abelian::invariant_factors_of(&[2, 3]), vec![6]);
    assert_eq!(abelian::invariant_factors_of(&[2, 3, 4]), vec![2, 12]);
    assert_eq!(abelian::invariant_factors_of(&[2, 2, 2]), vec![2, 2, 2]);
    assert_eq!(abelian::invariant_factors_of(&[]), Vec::<u32>::new());
}
