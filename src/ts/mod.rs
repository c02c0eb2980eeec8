//! MPEG-TS chunks: what GetTSFragment returns and HLS with ContainerFormat MPEG_TS plays (spec §1.5,
//! §1.8, §5.1, §8.3; ISO/IEC 13818-1).
//!
//! [`packet`] writes 188-byte packets, [`psi`] the PAT and PMT, [`pes`] PES headers, [`adts`] ADTS
//! headers; [`writer`] puts them together and is the one place payload bytes are copied.

pub mod adts;
mod error;
pub mod packet;
pub mod pes;
pub mod psi;
pub mod writer;

pub use error::Error;
pub use writer::{Options, Stream, write_chunk};
