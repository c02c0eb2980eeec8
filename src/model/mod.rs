//! Format-neutral values the writers consume: samples and tracks (no Matroska types).

pub mod sample;
pub mod track;
