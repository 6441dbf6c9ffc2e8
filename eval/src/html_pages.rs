//! The real HTML pages of the shared corpora (`../shared/corpus/<name>/original`), in a stable
//! order: what the HTML measurements and benchmarks measure.

use std::io;
use std::path::{Path, PathBuf};

/// The paths of every page of the named corpora, corpus by corpus, sorted by name.
pub fn page_paths(corpora: &[&str]) -> io::Result<Vec<PathBuf>> {
    let root = Path::new(crate::REPO).join("../shared/corpus");
    let mut all = Vec::new();
    for corpus in corpora {
        let mut paths = std::fs::read_dir(root.join(corpus).join("original"))?
            .map(|entry| Ok(entry?.path()))
            .collect::<io::Result<Vec<_>>>()?;
        paths.sort();
        all.extend(paths);
    }
    Ok(all)
}

/// The bytes of every page of the named corpora, in [`page_paths`] order.
pub fn pages(corpora: &[&str]) -> io::Result<Vec<Vec<u8>>> {
    page_paths(corpora)?.iter().map(std::fs::read).collect()
}
