//! Graph algorithms the project rules share (module imports, provider injections).

use std::collections::{BTreeMap, BTreeSet};

/// The strongly connected components of the graph (Tarjan's algorithm, iterative: import chains
/// can be thousands long), each in key order. Edges carry a label the algorithm ignores.
pub(crate) fn strongly_connected<K: Ord + Copy, E>(
    edges: &BTreeMap<K, Vec<(K, E)>>,
) -> Vec<Vec<K>> {
    let mut next = 0usize;
    let mut index_of: BTreeMap<K, usize> = BTreeMap::new();
    let mut low: BTreeMap<K, usize> = BTreeMap::new();
    let mut on_stack: BTreeSet<K> = BTreeSet::new();
    let mut stack: Vec<K> = Vec::new();
    let mut components = Vec::new();
    for &start in edges.keys() {
        if index_of.contains_key(&start) {
            continue;
        }
        // (node, position of the next edge to visit)
        let mut work: Vec<(K, usize)> = vec![(start, 0)];
        index_of.insert(start, next);
        low.insert(start, next);
        next += 1;
        stack.push(start);
        on_stack.insert(start);
        while let Some(&mut (node, ref mut position)) = work.last_mut() {
            let targets = edges.get(&node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&target) = targets.get(*position).map(|(t, _)| t) {
                *position += 1;
                if !edges.contains_key(&target) {
                    continue;
                }
                if let std::collections::btree_map::Entry::Vacant(entry) = index_of.entry(target) {
                    entry.insert(next);
                    low.insert(target, next);
                    next += 1;
                    stack.push(target);
                    on_stack.insert(target);
                    work.push((target, 0));
                } else if on_stack.contains(&target) {
                    let target_index = index_of[&target];
                    if let Some(node_low) = low.get_mut(&node) {
                        *node_low = (*node_low).min(target_index);
                    }
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                let node_low = low[&node];
                if let Some(parent_low) = low.get_mut(&parent) {
                    *parent_low = (*parent_low).min(node_low);
                }
            }
            if low[&node] == index_of[&node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack.remove(&member);
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort();
                components.push(component);
            }
        }
    }
    components
}
