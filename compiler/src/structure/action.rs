//! PLACEHOLDER: the regular action, until the least-degree search lands.
use crate::group::Group;

pub struct PointAction {
    pub images: Vec<u32>,
    pub degree: usize,
    pub orbits: Vec<Vec<u32>>,
    pub how: String,
}

pub fn least_faithful_action(g: &Group) -> PointAction {
    let n = g.order();
    let mut images = Vec::with_capacity(n * n);
    for x in 0..n as u32 {
        for j in 0..n as u32 {
            images.push(g.mul(j, x));
        }
    }
    PointAction {
        images,
        degree: n,
        orbits: vec![(0..n as u32).collect()],
        how: "regular".into(),
    }
}
