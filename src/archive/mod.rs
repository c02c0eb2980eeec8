//! Where fragments come from and where output goes: files, directories, stdin. The only file-system code.

pub mod sink;
pub mod source;
