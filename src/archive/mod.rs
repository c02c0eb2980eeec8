//! Where fragments come from: files, directories of fragment files, stdin. The only file-system code.

pub mod source;
