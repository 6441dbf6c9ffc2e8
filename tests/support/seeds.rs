//! The five seed pages of `fixtures/seeds` (`000.txt` … `004.txt`), read by the stage tests, which
//! include this file with `#[path]`.

/// The text of seed `number` (`"000"` … `"004"`).
pub fn seed(number: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seeds")
        .join(format!("{number}.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
