//! A Merkle tree over a ballot's papers (RFC 6962 style: leaves and inner
//! nodes hashed with different prefixes, the left subtree the largest power
//! of two), so a voter can be shown that their paper is among those counted
//! with a proof of a few hashes, and anyone can recompute the root.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root over `leaves` (already leaf-hashed); the hash of nothing for none.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// Which side a proof's hash goes on when climbing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Left,
    Right,
}

/// The hashes that, with leaf `index`, give the root (from the leaf up).
pub fn proof(leaves: &[Hash], index: usize) -> Vec<(Side, Hash)> {
    let mut path = Vec::new();
    collect(leaves, index, &mut path);
    path
}

fn collect(leaves: &[Hash], index: usize, path: &mut Vec<(Side, Hash)>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if index < k {
        collect(&leaves[..k], index, path);
        path.push((Side::Right, root(&leaves[k..])));
    } else {
        collect(&leaves[k..], index - k, path);
        path.push((Side::Left, root(&leaves[..k])));
    }
}

/// Whether `leaf` with `path` climbs to `root`.
pub fn verify(leaf: &Hash, path: &[(Side, Hash)], expected_root: &Hash) -> bool {
    let mut at = *leaf;
    for (side, sibling) in path {
        at = match side {
            Side::Left => node_hash(sibling, &at),
            Side::Right => node_hash(&at, sibling),
        };
    }
    &at == expected_root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(format!("paper {i}").as_bytes())).collect()
    }

    #[test]
    fn proofs_work_for_first_last_and_middle_papers_of_any_count() {
        for n in [1, 2, 3, 5, 7, 8, 13, 64, 1001] {
            let l = leaves(n);
            let r = root(&l);
            for i in [0, n / 2, n - 1] {
                let p = proof(&l, i);
                assert!(verify(&l[i], &p, &r), "n={n} i={i}");
                // Another paper, or a changed root, does not verify.
                let other = leaf_hash(b"not on the board");
                assert!(!verify(&other, &p, &r), "n={n} i={i}");
            }
        }
        assert_eq!(proof(&leaves(1), 0).len(), 0, "one paper is its own root");
    }

    #[test]
    fn any_change_moves_the_root() {
        let mut l = leaves(9);
        let r = root(&l);
        l.swap(2, 3);
        assert_ne!(root(&l), r, "order matters");
        let mut l2 = leaves(9);
        l2.pop();
        assert_ne!(root(&l2), r);
        // Leaves and inner nodes cannot be confused.
        let two = leaves(2);
        assert_ne!(root(&two), leaf_hash(&[two[0], two[1]].concat()));
    }
}
