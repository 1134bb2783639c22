//! Snapshots of rendered error messages for bad sources: each must point at
//! the right span (file, line, column, underline) and say what to change.

use gssm_compiler::diagnostics::{render_plain, Diagnostic};
use gssm_compiler::elaborate::load_sources;
use gssm_compiler::group::Limits;
use std::collections::HashMap;

/// Elaborate the file's last group (or `expr`); it must fail.
fn fail_with(
    text: &str,
    expr: Option<&str>,
    files: &HashMap<String, String>,
    limits: &Limits,
) -> Diagnostic {
    let result = match load_sources("bad.gssm", text, files, limits) {
        Ok(p) => match expr {
            Some(e) => p.eval(e),
            None => p.group(None, &[]),
        },
        Err(d) => Err(d),
    };
    match result {
        Ok(e) => panic!(
            "expected an error for:\n{text}\nbuilt {} (order {})",
            e.group.name,
            e.group.order()
        ),
        Err(d) => d,
    }
}

fn fail(text: &str) -> String {
    let d = fail_with(text, None, &HashMap::new(), &Limits::default());
    assert!(
        d.help.is_some(),
        "every error says what to change:\n{}",
        render_plain(&d)
    );
    render_plain(&d)
}

const CASES: &[(&str, &str)] = &[
    ("syntax_unclosed_presentation", "group G = < a, b | a^3, b^2\n"),
    ("syntax_missing_equals", "group G < a | a^2 >\n"),
    ("syntax_bad_exponent", "group G = < a | a^ >\n"),
    ("syntax_missing_action", "import \"families\"\ngroup G = Cyclic(3) : Cyclic(2)\n"),
    ("syntax_juxtaposed_letters", "group G = < a, b | a b >\n"),
    ("syntax_stray_token", "group G = < a | a^2 > )\n"),
    ("syntax_number_too_large", "group G = < a | a^99999999999999999999 >\n"),
    ("syntax_keyword_as_name", "group perm = < a | a^2 >\n"),
    ("syntax_too_deep", "group G = < a | ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))) >\n"),
    ("unknown_group", "group Cycle5 = < a | a^5 >\ngroup G = Cycle(5)\n"),
    ("unknown_group_needs_import", "group G = Dihedral(8)\n"),
    ("unknown_generator", "group G = < a, b | a^3, c^2 >\n"),
    ("integer_used_as_generator", "group F(n) = < a | n >\ngroup G = F(3)\n"),
    ("integer_used_as_group", "group F(n) = n\ngroup G = F(3)\n"),
    ("unknown_integer", "group G = < a | a^k >\n"),
    ("unknown_function", "group G = < a | a^(primeroot(7)) >\n"),
    ("wrong_arity", "import \"families\"\ngroup G = Dihedral(4, 2)\n"),
    ("arguments_to_constant", "import \"seed\"\ngroup G = S4(4)\n"),
    ("missing_arguments", "import \"families\"\ngroup G = Dihedral x Cyclic(2)\n"),
    ("require_dihedral_odd", "import \"families\"\ngroup G = Dihedral(7)\n"),
    ("require_agl1_not_prime", "import \"families\"\ngroup G = AGL1(8)\n"),
    ("require_quaternion", "import \"families\"\ngroup G = Quaternion(12)\n"),
    ("not_a_permutation", "group G = perm { (1,2,3)(3,4) }\n"),
    ("not_a_permutation_range", "group G(n) = perm { (1..n)(2,n+1) }\ngroup H = G(4)\n"),
    ("point_zero", "group G = perm { (0,1,2) }\n"),
    ("point_outside_degree", "group G = perm(4) { (1,2,3,4,5) }\n"),
    ("point_outside_degree_comprehension", "group G(n) = perm(n) { (1,k) for k in 2..n+1 }\ngroup H = G(5)\n"),
    ("named_comprehension", "group G = perm(5) { t = (1,k) for k in 2..5 }\n"),
    ("duplicate_generator", "group G = < a, b, a | a^2 >\n"),
    ("action_not_homomorphism", "group G = < a, c | a^3, c^2, (a*c)^2 > : < b | b^2 > by { b: a -> c }\n"),
    ("action_order_mismatch", "group G = < a | a^7 > : < b | b^3 > by { b: a -> a^3 }\n"),
    ("action_not_automorphism", "group G = < a, c | a^2, c^2, [a, c] > : < b | b^2 > by { b: a -> c, c -> c }\n"),
    ("action_breaks_relation_of_h", "group G = < a | a^7 > : < b | b^2 > by { b: a -> a^2 }\n"),
    ("action_unknown_h_generator", "group G = < a | a^5 > : < b | b^4 > by { y: a -> a^2 }\n"),
    ("action_unknown_n_generator", "group G = < a | a^5 > : < b | b^4 > by { b: x -> a^2 }\n"),
    ("infinite_presentation", "group G = < a, b | a^2, b^3 >\n"),
    ("free_group", "group G = < a | >\n"),
    ("too_many_elements", "import \"families\"\ngroup G = Symmetric(8)\n"),
    ("self_reference", "group A = B x < a | a^2 >\ngroup B = A\n"),
    ("recursion_limit", "group F(n) = F(n + 1) x < a | a^2 >\ngroup G = F(0)\n"),
    ("division_by_zero", "group F(n) = < a | a^(12 / n) >\ngroup G = F(0)\n"),
    ("negative_power_of_group", "import \"seed\"\ngroup G = C2^(0 - 2)\n"),
    ("duplicate_definition", "group G = < a | a^2 >\ngroup G = < a | a^3 >\n"),
    ("definition_clashes_with_import", "import \"seed\"\ngroup S4 = < a | a^4 >\n"),
    ("unknown_stdlib_module", "import \"familes\"\ngroup G = Cyclic(3)\n"),
    ("series_unknown_generator", "import \"seed\"\ngroup G = Q8 with series [ <i> ]\n"),
    ("word_too_long", "group G = < a, b | (a*b)^1000000000, a^2, b^2 >\n"),
    ("no_group", "import \"seed\"\n// nothing defined here\n"),
    ("pc_inconsistent", "group G = pc< a, b | a^3, b^3, a^-1*b*a = b^2 >\n"),
    ("pc_no_power", "group G = pc< a, b | a^2, [b, a] = b >\n"),
    ("pc_not_a_relation", "group G = pc< a, b | a^2, b^3, a*b*a*b >\n"),
    ("pc_rhs_not_after", "group G = pc< a, b | a^2, b^2 = a >\n"),
    ("pc_repeated_relation", "group G = pc< a, b | a^2, b^3, [b, a] = b, a^-1*b*a = b >\n"),
    ("pc_relative_order_one", "group G = pc< a, b | a = b, b^2 >\n"),
    ("pc_too_many_elements", "group G = pc< a, b, c | a^17, b^17, c^17 >\n"),
];

#[test]
fn error_messages() {
    assert!(CASES.len() >= 30);
    for (name, text) in CASES {
        insta::assert_snapshot!(*name, fail(text));
    }
}

#[test]
fn import_errors() {
    let mut files = HashMap::new();
    files.insert(
        "a.gssm".to_string(),
        "import \"b.gssm\"\ngroup A = < a | a^2 >\n".to_string(),
    );
    files.insert(
        "b.gssm".to_string(),
        "import \"a.gssm\"\ngroup B = < b | b^3 >\n".to_string(),
    );
    let d = fail_with(
        "import \"a.gssm\"\ngroup G = A\n",
        None,
        &files,
        &Limits::default(),
    );
    insta::assert_snapshot!("import_cycle", render_plain(&d));
    let d = fail_with(
        "import \"nowhere.gssm\"\ngroup G = A\n",
        None,
        &files,
        &Limits::default(),
    );
    insta::assert_snapshot!("import_missing_file", render_plain(&d));
    // An error inside an imported file points there, with a note at the use.
    files.insert(
        "lib.gssm".to_string(),
        "group Bad(n) = perm { (1, n, n) }\n".to_string(),
    );
    let d = fail_with(
        "import \"lib.gssm\"\ngroup G = Bad(2)\n",
        None,
        &files,
        &Limits::default(),
    );
    insta::assert_snapshot!("error_in_imported_file", render_plain(&d));
}

#[test]
fn limits_from_flags() {
    let limits = Limits {
        max_cosets: 1000,
        ..Limits::default()
    };
    let d = fail_with(
        "group G = < a, b | a^3, b^3, (a*b)^3 >\n",
        None,
        &HashMap::new(),
        &limits,
    );
    insta::assert_snapshot!("coset_limit", render_plain(&d));
}

#[test]
fn command_line_expressions() {
    let text = "import \"families\"\n";
    let d = fail_with(
        text,
        Some("Dihedral(8) x"),
        &HashMap::new(),
        &Limits::default(),
    );
    insta::assert_snapshot!("expr_syntax", render_plain(&d));
    let d = fail_with(
        text,
        Some("Dihedral(9)"),
        &HashMap::new(),
        &Limits::default(),
    );
    insta::assert_snapshot!("expr_require", render_plain(&d));
}

/// Sources too long, too deep or too large for the limits: each error
/// still points at the right place, and a long line shows only a window
/// around the span.
#[test]
fn limits_of_size_and_depth() {
    let mut text = String::from("group G = < a | ");
    text.push_str(&"a*".repeat(35_000));
    text.push_str("c >\n");
    insta::assert_snapshot!("long_line_unknown_generator", fail(&text));

    let text = format!(
        "group G = perm {{ (1,2){} }}\n",
        " for i in 1..1".repeat(100)
    );
    insta::assert_snapshot!("too_many_for_clauses", fail(&text));

    let gens: Vec<String> = (1..=5000).map(|i| format!("g{i}")).collect();
    let text = format!("group G = < {} | g1^2 >\n", gens.join(", "));
    insta::assert_snapshot!("too_many_generators", fail(&text));

    let text = format!(
        "group F(n) require n > 0, \"n = {{{}n{}}}\" = < a | a^n >\ngroup G = F(2)\n",
        "(".repeat(70),
        ")".repeat(70)
    );
    insta::assert_snapshot!("message_brackets_too_deep", fail(&text));

    let limits = Limits {
        max_elements: 100_000,
        ..Limits::default()
    };
    let d = fail_with(
        "import \"families\"\ngroup G = Cyclic(100000)\n",
        None,
        &HashMap::new(),
        &limits,
    );
    insta::assert_snapshot!("memory_limit", render_plain(&d));

    let mut files = HashMap::new();
    for i in 0..100 {
        files.insert(
            format!("m{i}.gssm"),
            format!("import \"m{}.gssm\"\ngroup G{i} = < a | a^2 >\n", i + 1),
        );
    }
    files.insert(
        "m100.gssm".to_string(),
        "group G100 = < a | a^3 >\n".to_string(),
    );
    let d = fail_with(
        "import \"m0.gssm\"\ngroup G = G0\n",
        None,
        &files,
        &Limits::default(),
    );
    insta::assert_snapshot!("import_depth", render_plain(&d));

    let mut files = HashMap::new();
    files.insert("big.gssm".to_string(), " ".repeat(9 << 20));
    let d = fail_with(
        "import \"big.gssm\"\ngroup G = < a | a^2 >\n",
        None,
        &files,
        &Limits::default(),
    );
    insta::assert_snapshot!("import_too_large", render_plain(&d));
}
