//! Direct and semidirect products, with the check that an action is a homomorphism into Aut(N).
