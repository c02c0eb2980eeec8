//! The operations, one file each (STYLE §1): [`inspect`], [`list_fragments`], [`get_media`]
//! (GetMediaForFragmentList), [`get_clip`], [`fmp4`] (GetMP4InitFragment, GetMP4MediaFragment and
//! the fMP4 export), [`ts`] (GetTSFragment and the TS export), [`hls`] and [`dash`] (the
//! streaming-session URLs), [`pack`]. Files here never import
//! each other: what two operations share lives in the timeline, the archive or [`crate::shapes`].
//!
//! # One result convention
//! - Opening an [`Archive`](crate::Archive) keeps the fragments completed before any damage and
//!   lists the damage ([`Archive::damage`](crate::Archive::damage)); damage is a property of the
//!   input, and the caller decides whether it may proceed (the CLI warns, or fails with `--strict`).
//! - Every operation returns `Result<T, ApiError>`: all of its output, or the service's error.
//! - An operation that produces a sequence (the exports) returns an iterator of
//!   `Result<item, ApiError>` that stops after the first error, so output made before it can be
//!   used or discarded as the caller chooses (the CLI discards it: outputs appear whole or not at all).
//! - [`Inspector`](inspect::Inspector) reports damage as a row of the report, since reporting it is
//!   its job.

pub mod dash;
pub mod fmp4;
pub mod get_clip;
pub mod get_media;
pub mod hls;
pub mod images;
pub mod inspect;
pub mod list_fragments;
pub mod pack;
pub mod ts;
