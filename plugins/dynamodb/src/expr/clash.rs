//! Document paths that may not stand together in one expression: an update
//! or a projection naming a path and a part of it ("overlap"), or a list
//! index and a map key under the same parent ("conflict").

use std::collections::{HashMap, HashSet};

use super::ast::{Path, Step, path_text};

/// DynamoDB's complaint (without the `Invalid ...Expression: ` prefix) about
/// the first path, in request order, that clashes with a later one.
///
/// The paths are indexed by hash sets of the paths, their prefixes and the
/// kinds of step that follow each prefix: comparing every pair took seconds
/// for the 100,000 attributes a legacy `AttributeUpdates` map can name.
pub fn first_clash(paths: &[&Path]) -> Option<String> {
    let mut whole: HashMap<&[Step], usize> = HashMap::new();
    let mut prefixes: HashSet<&[Step]> = HashSet::new();
    // (a map key follows, a list index follows) each proper prefix.
    let mut next: HashMap<&[Step], (bool, bool)> = HashMap::new();
    for p in paths {
        *whole.entry(p.as_slice()).or_default() += 1;
        for k in 0..p.len() {
            if k > 0 {
                prefixes.insert(&p[..k]);
            }
            let e = next.entry(&p[..k]).or_default();
            match p[k] {
                Step::Attr(_) => e.0 = true,
                Step::Index(_) => e.1 = true,
            }
        }
    }
    let overlaps = |p: &Path| {
        whole[p.as_slice()] > 1
            || prefixes.contains(p.as_slice())
            || (1..p.len()).any(|k| whole.contains_key(&p[..k]))
    };
    if let Some(i) = paths.iter().position(|p| overlaps(p)) {
        let a = paths[i];
        let partner = paths[i + 1..].iter().find(|b| {
            let n = a.len().min(b.len());
            a[..n] == b[..n]
        });
        if let Some(b) = partner {
            return Some(format!(
                "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                path_text(a),
                path_text(b)
            ));
        }
    }
    let conflicts = |p: &Path| (0..p.len()).any(|k| next[&p[..k]] == (true, true));
    let i = paths.iter().position(|p| conflicts(p))?;
    let a = paths[i];
    let b = paths[i + 1..].iter().find(|b| {
        let same = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
        matches!(
            (a.get(same), b.get(same)),
            (Some(Step::Attr(_)), Some(Step::Index(_)))
                | (Some(Step::Index(_)), Some(Step::Attr(_)))
        )
    })?;
    Some(format!(
        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
        path_text(a),
        path_text(b)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(s: &str) -> Step {
        Step::Attr(s.into())
    }

    #[test]
    fn overlaps_and_conflicts_are_told_apart() {
        let a = vec![attr("a")];
        let ab = vec![attr("a"), attr("b")];
        let a0 = vec![attr("a"), Step::Index(0)];
        let c = vec![attr("c")];
        assert_eq!(first_clash(&[&c, &ab]), None);
        assert_eq!(
            first_clash(&[&c, &a, &ab]).unwrap(),
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
        );
        assert_eq!(
            first_clash(&[&a0, &c, &ab]).unwrap(),
            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"
        );
        assert!(first_clash(&[&c, &c]).unwrap().contains("overlap"));
    }
}
