//! A memo shared by the threads of a pass: answers computed once per key, looked up under a read
//! lock. Import resolution asks the same questions thousands of times (the same bare specifier
//! from every file of a package, the same name through the same barrel).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

#[derive(Debug)]
pub struct Memo<K, V> {
    answers: RwLock<HashMap<K, V, foldhash::fast::RandomState>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            answers: RwLock::new(HashMap::default()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// The answer for `key`, computing it with `compute` the first time (two threads may both
    /// compute it: the answer is the same, and no lock is held while computing).
    pub fn get_or_compute(&self, key: K, compute: impl FnOnce() -> V) -> V {
        if let Some(found) = self.answers.read().ok().and_then(|m| m.get(&key).cloned()) {
            return found;
        }
        let found = compute();
        if let Ok(mut answers) = self.answers.write() {
            answers.insert(key, found.clone());
        }
        found
    }
}
