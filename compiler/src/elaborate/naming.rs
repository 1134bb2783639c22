//! Names: generator names of products, "did you mean" suggestions, and the
//! naming-convention warnings (GAP's D8 has order 8; geometry's has 16).

/// Generator names for a product of factors, in order.
///
/// A name that occurs in only one factor is kept. A name that occurs in
/// several factors gets the suffix `_i`, where i is the factor's position
/// in the product counting from 1: `C2 x C2` has generators `a_1, a_2`;
/// in `N : H` the factor N is 1 and H is 2. Should a suffixed name still
/// clash with another name, `_i` is appended again until it is unique.
pub fn disambiguate(factors: &[Vec<String>]) -> Vec<String> {
    let count = |name: &str| {
        factors
            .iter()
            .filter(|f| f.iter().any(|n| n == name))
            .count()
    };
    let mut out: Vec<String> = Vec::new();
    for (i, f) in factors.iter().enumerate() {
        for n in f {
            let mut name = n.clone();
            if count(n) > 1 {
                name = format!("{n}_{}", i + 1);
            }
            out.push(name);
        }
    }
    // Resolve clashes the suffixes created (a factor may already have had
    // a generator named `a_2`), deterministically, from left to right.
    let owner: Vec<usize> = factors
        .iter()
        .enumerate()
        .flat_map(|(i, f)| std::iter::repeat_n(i, f.len()))
        .collect();
    for k in 0..out.len() {
        while out[..k].contains(&out[k]) {
            out[k] = format!("{}_{}", out[k], owner[k] + 1);
        }
    }
    out
}

/// Unique names for generators, some given and some not: unnamed ones are
/// `g1, g2, …` by position (1-based); a clash with a given name gets `_`.
pub fn fill_names(given: &[Option<String>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for (i, g) in given.iter().enumerate() {
        let mut name = g.clone().unwrap_or_else(|| format!("g{}", i + 1));
        if g.is_none() {
            while given.iter().flatten().any(|x| *x == name) || out.contains(&name) {
                name.push('_');
            }
        }
        out.push(name);
    }
    out
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Longest name [`suggest`] compares: edit distance costs the product of
/// the lengths, and a typo suggestion for a longer name helps nobody.
const MAX_SUGGEST_LEN: usize = 64;

/// The closest candidate to `name`, if close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if name.len() > MAX_SUGGEST_LEN {
        return None;
    }
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| c.len() <= MAX_SUGGEST_LEN)
        .map(|c| {
            let d = if c.to_lowercase() == lower {
                0
            } else {
                distance(name, c)
            };
            (d, c)
        })
        .filter(|&(d, c)| d <= 2.max(name.len() / 4) && d < c.len().max(name.len()))
        .min()
        .map(|(_, c)| c)
}

/// If a user's group name reads as a conventional name whose order differs
/// from the group's, say what the name means in GAP's convention.
pub fn convention_warning(name: &str, order: usize) -> Option<String> {
    let split = name.find(|c: char| c.is_ascii_digit())?;
    let (prefix, digits) = name.split_at(split);
    let k: u64 = digits.parse().ok()?;
    if k == 0 || k > 1_000_000 {
        return None;
    }
    let expected = match prefix {
        "C" | "D" | "Dih" | "Q" | "Dic" => k,
        "S" => (1..=k).try_fold(1u64, |acc, i| acc.checked_mul(i))?,
        "A" if k >= 2 => (1..=k).try_fold(1u64, |acc, i| acc.checked_mul(i))? / 2,
        _ => return None,
    };
    if expected == order as u64 {
        return None;
    }
    let meaning = match prefix {
        "C" => format!("the cyclic group of order {k}"),
        "D" | "Dih" => format!("the dihedral group of order {k} (GAP's DihedralGroup({k}))"),
        "Q" => format!("the quaternion group of order {k} (GAP's QuaternionGroup({k}))"),
        "Dic" => format!("the dicyclic group of order {k} (GAP's DicyclicGroup({k}))"),
        "S" => format!("the symmetric group on {k} points, of order {expected}"),
        _ => format!("the alternating group on {k} points, of order {expected}"),
    };
    let mut msg = format!("the name {name} reads as {meaning}, but this group has order {order}");
    if matches!(prefix, "D" | "Dih" | "Dic") && order as u64 == 2 * k {
        msg.push_str(&format!(
            "; gssm follows GAP, where the symmetries of the regular {k}-gon are D{}",
            2 * k
        ));
    } else if matches!(prefix, "Dic") && order as u64 == 4 * k {
        msg.push_str(&format!(
            "; gssm follows GAP, where this group is Dic{}",
            4 * k
        ));
    }
    Some(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn products_keep_unique_names_and_number_repeated_ones() {
        assert_eq!(disambiguate(&[v(&["a"]), v(&["b"])]), v(&["a", "b"]));
        assert_eq!(
            disambiguate(&[v(&["a"]), v(&["a"]), v(&["b"])]),
            v(&["a_1", "a_2", "b"])
        );
        assert_eq!(
            disambiguate(&[v(&["a", "a_2"]), v(&["a"])]),
            v(&["a_1", "a_2", "a_2_2"])
        );
    }

    #[test]
    fn unnamed_generators_are_numbered() {
        assert_eq!(
            fill_names(&[None, Some("g1".into()), None]),
            v(&["g1_", "g1", "g3"])
        );
    }

    #[test]
    fn conventions() {
        assert!(convention_warning("D6", 12).unwrap().contains("D12"));
        assert_eq!(convention_warning("D8", 8), None);
        assert_eq!(convention_warning("S4", 24), None);
        assert_eq!(convention_warning("A5", 60), None);
        assert!(convention_warning("C6", 7).is_some());
        assert_eq!(convention_warning("SL23", 24), None);
    }
}
