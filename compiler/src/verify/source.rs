//! The file's group against a source: the model's table, with its
//! generators, must be the group the source defines under that name. The
//! map from the model's elements to the source group's, defined along the
//! model's Cayley graph from the identity, must be consistent on every edge
//! and bijective; then it is an isomorphism that matches the generators.

use crate::group::bsgs::Perm;
use crate::group::Group;
use gssm_runtime::ir::{cycle_notation, pc_word};
use gssm_runtime::pc::{Exps, Pc};
use gssm_runtime::valid::ValidModel;

pub fn same_group(model: &ValidModel, g: &Group) -> Result<(), String> {
    if model.untabled() {
        return Err(format!(
            "the file keeps its group without a table, but the source's has {} elements, few enough to list: verify with the --max-elements it was compiled with",
            g.order()
        ));
    }
    let (Some(info), Some(truth)) = (&model.manifest.group, model.group()) else {
        return Err("the file tracks an automaton, not a group".into());
    };
    let name = &info.name;
    if g.generator_names() != info.generators.as_slice() {
        return Err(format!(
            "the source's {name} has generators [{}], the file [{}]",
            g.generator_names().join(", "),
            info.generators.join(", ")
        ));
    }
    let n = model.order();
    if g.order() != n {
        return Err(format!(
            "the source's {name} has order {}, the file's group {n}",
            g.order()
        ));
    }
    let mut image = vec![u32::MAX; n];
    let mut used = vec![false; n];
    image[0] = 0;
    used[0] = true;
    let mut queue = vec![0u32];
    let mut head = 0;
    while head < queue.len() {
        let x = queue[head];
        head += 1;
        for (i, (&s, &t)) in truth.generators.iter().zip(g.generators()).enumerate() {
            let (y, want) = (truth.mul(n, x, s), g.mul(image[x as usize], t));
            match image[y as usize] {
                u32::MAX => {
                    if used[want as usize] {
                        return Err(format!(
                            "the file's group is not the source's {name}: element {} would be the source's {} twice",
                            model.manifest.outputs[y as usize],
                            g.label(want)
                        ));
                    }
                    image[y as usize] = want;
                    used[want as usize] = true;
                    queue.push(y);
                }
                have if have != want => {
                    return Err(format!(
                        "the file's group is not the source's {name}: {}·{} is {} in the file but {} in the source",
                        model.manifest.outputs[x as usize],
                        info.generators[i],
                        model.manifest.outputs[y as usize],
                        g.label(want)
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A file without a table against a source's permutation group past the
/// element limit: the same generator names with the same permutations
/// generate the same group, and the loader has checked that the file's
/// normal form is exactly the group its generators generate.
pub fn same_permutations(
    model: &ValidModel,
    names: &[String],
    gens: &[Perm],
) -> Result<(), String> {
    let (Some(info), Some(p)) = (&model.manifest.group, model.perm()) else {
        return Err(
            "the source's group is past the element limit and the file has a Cayley table: verify with the --max-elements it was compiled with".into(),
        );
    };
    let name = &info.name;
    if names != info.generators.as_slice() {
        return Err(format!(
            "the source's {name} has generators [{}], the file [{}]",
            names.join(", "),
            info.generators.join(", ")
        ));
    }
    for ((gen, want), got) in names.iter().zip(gens).zip(&p.generators) {
        if want != got {
            return Err(format!(
                "generator {gen} is {} in the source but {} in the file",
                cycle_notation(want),
                cycle_notation(got)
            ));
        }
    }
    Ok(())
}

/// A file whose truth is a pc presentation against a source's pc group past
/// the element limit: the same generator names, and the map sending each
/// source generator to the file's element of that name is an isomorphism —
/// a homomorphism because the images satisfy every relation of the
/// source's presentation (a pc presentation's relations define its group),
/// onto because they generate a subgroup of the file's whole order, which
/// equals the source's.
pub fn same_pc(model: &ValidModel, src: &Pc) -> Result<(), String> {
    let (Some(info), Some(p)) = (&model.manifest.group, model.pc()) else {
        return Err(
            "the source's group is a pc group past the element limit, and the file does not keep a pc presentation: verify with the --max-elements it was compiled with".into(),
        );
    };
    let name = &info.name;
    if src.names() != info.generators.as_slice() {
        return Err(format!(
            "the source's {name} has generators [{}], the file [{}]",
            src.names().join(", "),
            info.generators.join(", ")
        ));
    }
    if src.order() != p.order() {
        return Err(format!(
            "the source's {name} has order {}, the file's group {}",
            src.order(),
            p.order()
        ));
    }
    let file = &p.pc;
    let images = &p.generators;
    let collect =
        |e: gssm_runtime::pc::CollectError| format!("collecting in the file's presentation: {e}");
    let show = |x: &Exps| pc_word(x);
    let n = src.len();
    for i in 0..n {
        let names = src.names();
        let lhs = file
            .pow(&images[i], u64::from(src.relative_orders()[i]))
            .map_err(collect)?;
        let rhs = file
            .image(images, src.power_relation(i).expect("a level"))
            .map_err(collect)?;
        if lhs != rhs {
            return Err(format!(
                "the file's group is not the source's {name}: {}^{} is {} in the file, but the source's power relation makes it {}",
                names[i],
                src.relative_orders()[i],
                show(&lhs),
                show(&rhs)
            ));
        }
        for j in i + 1..n {
            let lhs = crate::group::pcgs::conj(file, &images[j], &images[i])
                .map_err(|e| format!("collecting in the file's presentation: {e}"))?;
            let rhs = file
                .image(images, src.conjugate_relation(i, j).expect("i < j"))
                .map_err(collect)?;
            if lhs != rhs {
                return Err(format!(
                    "the file's group is not the source's {name}: {}^{} is {} in the file, but the source's conjugate relation makes it {}",
                    names[j],
                    names[i],
                    show(&lhs),
                    show(&rhs)
                ));
            }
        }
    }
    let generated = crate::group::pcgs::Pcgs::generated(file, images)
        .map_err(|e| format!("collecting in the file's presentation: {e}"))?;
    if u128::try_from(&generated.order()).ok() != Some(p.order()) {
        return Err(format!(
            "the file's group is not the source's {name}: the file's generators generate a subgroup of order {} of its {} elements",
            generated.order(),
            p.order()
        ));
    }
    Ok(())
}
