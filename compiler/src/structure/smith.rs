//! The Smith normal form of a small square integer matrix, with the column
//! operations that reach it: P·A·Q = D = diag(d_1, …, d_n), d_1 | d_2 | …,
//! P and Q unimodular. Only Q is kept: for a relation matrix A (rows span
//! the relations L of Z^n / L), x ↦ (x·Q)_t mod d_t is an isomorphism
//! Z^n / L → ⊕ Z/d_t, because x ∈ L exactly when x·Q lies in the row space
//! of D.

/// D's diagonal and Q, or why not (an entry past 128 bits).
pub fn smith(mut a: Vec<Vec<i128>>) -> Result<(Vec<i128>, Vec<Vec<i128>>), String> {
    let n = a.len();
    debug_assert!(a.iter().all(|r| r.len() == n), "a square matrix");
    let mut q: Vec<Vec<i128>> = (0..n)
        .map(|i| (0..n).map(|j| i128::from(i == j)).collect())
        .collect();
    let grew = || "the Smith normal form's entries grew past 128 bits".to_string();
    // x - f·y, checked.
    let sub = |x: i128, f: i128, y: i128| f.checked_mul(y).and_then(|fy| x.checked_sub(fy));
    for t in 0..n {
        loop {
            // The smallest nonzero entry left becomes the pivot; each pass
            // that leaves a remainder makes it smaller, so this ends.
            let mut best: Option<(usize, usize)> = None;
            for i in t..n {
                for j in t..n {
                    if a[i][j] != 0
                        && best.is_none_or(|(bi, bj)| {
                            a[i][j].unsigned_abs() < a[bi][bj].unsigned_abs()
                        })
                    {
                        best = Some((i, j));
                    }
                }
            }
            let Some((pi, pj)) = best else {
                break;
            };
            a.swap(t, pi);
            for row in a.iter_mut().chain(q.iter_mut()) {
                row.swap(t, pj);
            }
            let p = a[t][t];
            let mut clean = true;
            let pivot_row = a[t].clone();
            for row in a.iter_mut().skip(t + 1) {
                let f = row[t].checked_div(p).ok_or_else(grew)?;
                if f != 0 {
                    for (x, &y) in row[t..].iter_mut().zip(&pivot_row[t..]) {
                        *x = sub(*x, f, y).ok_or_else(grew)?;
                    }
                }
                clean &= row[t] == 0;
            }
            for j in t + 1..n {
                let f = a[t][j].checked_div(p).ok_or_else(grew)?;
                if f != 0 {
                    for row in a.iter_mut().chain(q.iter_mut()) {
                        row[j] = sub(row[j], f, row[t]).ok_or_else(grew)?;
                    }
                }
                clean &= a[t][j] == 0;
            }
            if !clean {
                continue;
            }
            // d_t must divide every entry left: where one does not, adding
            // its row brings a remainder into row t.
            // (p = -1 divides everything: checked_rem's only failure.)
            match (t + 1..n)
                .find(|&i| (t + 1..n).any(|j| a[i][j].checked_rem(p).is_some_and(|r| r != 0)))
            {
                Some(i) => {
                    let other = a[i].clone();
                    for (x, &y) in a[t][t..].iter_mut().zip(&other[t..]) {
                        *x = x.checked_add(y).ok_or_else(grew)?;
                    }
                }
                None => break,
            }
        }
        if a[t][t] < 0 {
            for row in a.iter_mut().chain(q.iter_mut()) {
                row[t] = row[t].checked_neg().ok_or_else(grew)?;
            }
        }
    }
    Ok(((0..n).map(|t| a[t][t]).collect(), q))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mul(a: &[Vec<i128>], b: &[Vec<i128>]) -> Vec<Vec<i128>> {
        let n = a.len();
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                    .collect()
            })
            .collect()
    }

    /// The determinant by fraction-free elimination (Bareiss).
    fn det(m: &[Vec<i128>]) -> i128 {
        let n = m.len();
        let mut a = m.to_vec();
        let (mut sign, mut prev) = (1i128, 1i128);
        for k in 0..n {
            if a[k][k] == 0 {
                match (k + 1..n).find(|&i| a[i][k] != 0) {
                    Some(i) => {
                        a.swap(k, i);
                        sign = -sign;
                    }
                    None => return 0,
                }
            }
            for i in k + 1..n {
                for j in k + 1..n {
                    a[i][j] = (a[i][j] * a[k][k] - a[i][k] * a[k][j]) / prev;
                }
            }
            prev = a[k][k];
        }
        sign * a[n - 1][n - 1]
    }

    #[test]
    fn diagonals_divide_and_q_is_unimodular() {
        let mut seed = 7u64;
        let mut next = |m: i128| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as i128) % m
        };
        for _ in 0..300 {
            let n = 1 + next(5) as usize;
            let a: Vec<Vec<i128>> = (0..n)
                .map(|_| (0..n).map(|_| next(41) - 20).collect())
                .collect();
            let (d, q) = smith(a.clone()).unwrap();
            assert_eq!(det(&q).abs(), 1, "{a:?}");
            // A·Q has the row space of D: its column t is d_t times an
            // integer column, and |det| is kept.
            let aq = mul(&a, &q);
            for t in 0..n {
                for row in &aq {
                    assert!(
                        if d[t] == 0 {
                            row[t] == 0
                        } else {
                            row[t] % d[t] == 0
                        },
                        "{a:?}"
                    );
                }
            }
            assert_eq!(d.iter().product::<i128>().abs(), det(&a).abs(), "{a:?}");
            for t in 1..n {
                assert!(
                    d[t - 1] >= 0
                        && (d[t - 1] == 0 && d[t] == 0 || d[t - 1] != 0 && d[t] % d[t - 1] == 0),
                    "{d:?}"
                );
            }
        }
    }

    #[test]
    fn z4_times_z6_is_z2_times_z12() {
        let (d, _) = smith(vec![vec![4, 0], vec![0, 6]]).unwrap();
        assert_eq!(d, vec![2, 12]);
    }
}
