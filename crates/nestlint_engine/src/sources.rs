//! The texts of the files a run lints (its targets), for suppression comments, fixes and excerpts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Per target file, its text: read in the file pass, or, for a file the cache vouched for by its
/// metadata, read when first asked for, and only if it is still the text that was linted.
#[derive(Default)]
pub(crate) struct Sources {
    /// By the path's bytes: hashing a `Path` walks its components, and a run inserts every
    /// target.
    texts: HashMap<Box<[u8]>, Source, foldhash::fast::RandomState>,
}

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

enum Source {
    Read(Arc<str>),
    /// Not read: its text hashed to `hash` when its findings were made.
    Unread {
        hash: u128,
        text: OnceLock<Option<Arc<str>>>,
    },
}

impl Sources {
    pub(crate) fn insert_read(&mut self, path: Arc<PathBuf>, text: Arc<str>) {
        self.texts.insert(key(&path).into(), Source::Read(text));
    }

    pub(crate) fn insert_unread(&mut self, path: Arc<PathBuf>, hash: u128) {
        self.texts.insert(
            key(&path).into(),
            Source::Unread {
                hash,
                text: OnceLock::new(),
            },
        );
    }

    /// Whether `path` is a file the run lints (fixes edit no other file).
    pub(crate) fn contains(&self, path: &Path) -> bool {
        self.texts.contains_key(key(path))
    }

    /// The text of `path` as it was linted; `None` for a file the run does not lint, or one that
    /// changed on disk since (its findings, fixes and excerpts would not match it).
    pub(crate) fn get(&self, path: &Path) -> Option<&Arc<str>> {
        match self.texts.get(key(path))? {
            Source::Read(text) => Some(text),
            Source::Unread { hash, text } => text
                .get_or_init(|| {
                    crate::run::read_source(path)
                        .ok()
                        .filter(|text| crate::cache::text_hash(text) == *hash)
                })
                .as_ref(),
        }
    }
}
