//! The standard library, embedded so the compiler works from any directory.

const MODULES: &[(&str, &str)] = &[
    ("families", include_str!("../../../stdlib/families.gssm")),
    ("seed", include_str!("../../../stdlib/seed.gssm")),
    ("languages", include_str!("../../../stdlib/languages.gssm")),
];

/// Source text of the stdlib module `name`.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|&(_, t)| t)
}

/// Names of the stdlib modules.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|&(n, _)| n)
}

/// The stdlib module that defines group `name`, for "did you forget an
/// import" hints.
pub fn defining_module(name: &str) -> Option<&'static str> {
    module_defining("group ", name)
}

/// The stdlib module that defines automaton `name`.
pub fn defining_module_of_automaton(name: &str) -> Option<&'static str> {
    module_defining("automaton ", name)
}

/// Scans definitions textually (lines starting with `keyword`): cheap and
/// never fails.
fn module_defining(keyword: &str, name: &str) -> Option<&'static str> {
    MODULES.iter().find_map(|&(m, text)| {
        text.lines()
            .filter_map(|l| l.trim_start().strip_prefix(keyword))
            .any(|rest| {
                let def: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                def == name
            })
            .then_some(m)
    })
}
