//! Text tools shared by the stages: character classes, lines, the folded matching view and the
//! language model.

pub mod chars;
pub mod fold;
pub mod image;
pub mod lines;
pub mod lm;
pub mod opencc;
pub mod table;
